// The CNI 1.0.0 and 1.1.0 contract as weft's plugin speaks it, pure: a call (the runtime's CNI_* environment and the
// network configuration it wrote to the plugin's stdin, handed on by the weft-cni shim) parsed and checked
// against a closed schema, and the results and errors the runtime reads back. Every field is untrusted.
import { assertIfaceName, assertNetnsPath } from '../names.js';

/** What weft writes in its own configurations and results: podman 4.3's CNI library knows no later one. */
export const CNI_VERSION = '1.0.0';
/** 1.1.0 adds STATUS and GC. */
export const SUPPORTED_VERSIONS = [CNI_VERSION, '1.1.0'];

/** The spec's well-known error codes (CNI SPEC.md, "Error"). */
export const CniCode = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  /** STATUS: the plugin cannot take ADDs now (CNI 1.1). */
  pluginNotAvailable: 50,
  /** Plugin-specific (100+): CHECK found the wiring no longer as ADD made it. */
  drifted: 100,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';
const COMMANDS: readonly string[] = ['ADD', 'DEL', 'CHECK'];
/** CNI 1.1's calls about the plugin as a whole rather than one attachment. */
const PLUGIN_COMMANDS: readonly string[] = ['STATUS', 'GC'];

export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** Set in a per-app conflist (`weft cni network APP`): the container joins that app. */
  app?: string;
}

/** A container's attachment to a network, as GC's `cni.dev/valid-attachments` lists them. */
export interface Attachment {
  containerId: string;
  ifname: string;
}

/** STATUS (is the plugin ready for ADDs?) or GC (remove every attachment of the network but `valid`). */
export type CniPluginRequest =
  { command: 'STATUS'; config: NetConf } | { command: 'GC'; config: NetConf; valid: Attachment[] };

export interface CniRequest {
  command: CniCommand;
  containerId: string;
  /** Absent only on DEL, which must succeed when the namespace is already gone. */
  netns: string | null;
  ifname: string;
  args: ReadonlyMap<string, string>;
  config: NetConf;
}

/** The names the shim sends the CNI_* variables under; nothing else is accepted. */
const QUERY_KEYS = ['command', 'containerid', 'netns', 'ifname', 'args'] as const;
/** Keys of a network configuration weft reads or that runtimes add; any other is refused (code 2). */
const CONFIG_KEYS = new Set(['cniVersion', 'name', 'type', 'app', 'prevResult', 'runtimeConfig', 'args']);
const VALID_ATTACHMENTS = 'cni.dev/valid-attachments';
const MAX_ATTACHMENTS = 100_000;
/** CNI_ARGS keys weft reads; others are refused unless IgnoreUnknown is set, as CNI's convention says. */
export const INSTANCE_ARG = 'WEFT_INSTANCE';
const KNOWN_ARGS = new Set([INSTANCE_ARG, 'IgnoreUnknown']);
const MAX_ARGS = 32;

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function invalidEnv(message: string): CniError {
  return new CniError(CniCode.invalidEnvironment, message);
}

/** CNI_ARGS: `K=V;K=V`, alphanumeric-ish keys and values, each key once. */
export function parseCniArgs(raw: string): Map<string, string> {
  const args = new Map<string, string>();
  if (raw === '') return args;
  const pairs = raw.split(';');
  if (pairs.length > MAX_ARGS) throw invalidEnv(`CNI_ARGS holds more than ${MAX_ARGS} pairs`);
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]{0,63})=([A-Za-z0-9_.:/-]{0,253})$/.exec(pair);
    if (!m?.[1] || m[2] === undefined) throw invalidEnv(`CNI_ARGS: bad pair ${JSON.stringify(pair)}`);
    if (args.has(m[1])) throw invalidEnv(`CNI_ARGS names ${m[1]} twice`);
    args.set(m[1], m[2]);
  }
  const ignoreUnknown = ['1', 'true'].includes(args.get('IgnoreUnknown')?.toLowerCase() ?? '');
  const unknown = [...args.keys()].filter((k) => !KNOWN_ARGS.has(k));
  if (unknown.length > 0 && !ignoreUnknown) throw invalidEnv(`CNI_ARGS: unknown keys ${unknown.join(', ')}`);
  const instance = args.get(INSTANCE_ARG);
  if (instance !== undefined && !GUID.test(instance)) throw invalidEnv(`${INSTANCE_ARG} is not a GUID`);
  return args;
}

function parseJsonObject(body: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new CniError(CniCode.decode, 'the network configuration is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new CniError(CniCode.decode, 'the network configuration is not a JSON object');
  return raw as Record<string, unknown>;
}

function parseConfig(c: Record<string, unknown>, extraKeys: readonly string[] = []): NetConf {
  for (const [key, value] of Object.entries(c)) {
    if (!CONFIG_KEYS.has(key) && !extraKeys.includes(key))
      throw new CniError(CniCode.unsupportedField, `unsupported field ${key}: ${JSON.stringify(value)}`);
  }
  if (typeof c.cniVersion !== 'string' || !SUPPORTED_VERSIONS.includes(c.cniVersion))
    throw new CniError(
      CniCode.incompatibleVersion,
      `cniVersion ${JSON.stringify(c.cniVersion)} is not supported`,
      `supported: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  if (typeof c.name !== 'string' || !NETWORK_NAME.test(c.name))
    throw new CniError(CniCode.invalidConfig, 'name must be 1-128 of A-Z a-z 0-9 _ . -');
  if (c.type !== 'weft-cni') throw new CniError(CniCode.invalidConfig, 'type must be weft-cni');
  if (c.app !== undefined && (typeof c.app !== 'string' || !GUID.test(c.app)))
    throw new CniError(CniCode.invalidConfig, 'app must be an app GUID');
  return { cniVersion: c.cniVersion, name: c.name, type: c.type, ...(c.app ? { app: c.app } : {}) };
}

function parseAttachments(raw: unknown): Attachment[] {
  if (!Array.isArray(raw) || raw.length > MAX_ATTACHMENTS)
    throw new CniError(CniCode.invalidConfig, `${VALID_ATTACHMENTS} must be a list of attachments`);
  return raw.map((a: unknown) => {
    const { containerID, ifname } = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    if (typeof containerID !== 'string' || !CONTAINER_ID.test(containerID) || typeof ifname !== 'string')
      throw new CniError(CniCode.invalidConfig, `${VALID_ATTACHMENTS}: bad attachment ${JSON.stringify(a)}`);
    return { containerId: containerID, ifname };
  });
}

/** STATUS or GC: no container is named; GC's configuration carries the attachments to keep. */
function parsePluginRequest(command: string, body: string): CniPluginRequest {
  const raw = parseJsonObject(body);
  if (command === 'STATUS') return { command, config: parseConfig(raw) };
  const config = parseConfig(raw, [VALID_ATTACHMENTS]);
  return { command: 'GC', config, valid: parseAttachments(raw[VALID_ATTACHMENTS] ?? []) };
}

/** One call, from the shim's query string (the CNI_* variables) and body (the configuration). */
export function parseCniRequest(query: URLSearchParams, body: string): CniRequest | CniPluginRequest {
  for (const key of query.keys()) {
    if (!(QUERY_KEYS as readonly string[]).includes(key)) throw invalidEnv(`unexpected parameter ${key}`);
    if (query.getAll(key).length > 1) throw invalidEnv(`parameter ${key} given twice`);
  }
  const command = query.get('command') ?? '';
  if (PLUGIN_COMMANDS.includes(command)) return parsePluginRequest(command, body);
  if (!COMMANDS.includes(command))
    throw invalidEnv('CNI_COMMAND must be ADD, DEL, CHECK, STATUS, GC or VERSION');
  const containerId = query.get('containerid') ?? '';
  if (!CONTAINER_ID.test(containerId))
    throw invalidEnv('CNI_CONTAINERID must be 1-255 of A-Z a-z 0-9 _ . - (not starting with _ . -)');
  const netnsRaw = query.get('netns') ?? '';
  if (netnsRaw === '' && command !== 'DEL') throw invalidEnv(`CNI_NETNS is required for ${command}`);
  const netns = netnsRaw === '' ? null : netnsRaw;
  const ifname = query.get('ifname') ?? '';
  try {
    if (netns !== null) assertNetnsPath(netns);
    assertIfaceName(ifname);
  } catch (err) {
    throw invalidEnv(err instanceof Error ? err.message : String(err));
  }
  const args = parseCniArgs(query.get('args') ?? '');
  const config = parseConfig(parseJsonObject(body));
  return { command: command as CniCommand, containerId, netns, ifname, args, config };
}

export interface Wired {
  hostIface: string;
  hostMac: string;
  containerMac: string;
  ifname: string;
  netns: string;
  ip: string;
  nextHop: string;
  /** The cell's gateway, where its DNS server answers. */
  nameserver: string;
}

/** ADD's result: the host and container interfaces, the /32, the default route and the cell's DNS. */
export function addResult(w: Wired): object {
  return {
    cniVersion: CNI_VERSION,
    interfaces: [
      { name: w.hostIface, mac: w.hostMac },
      { name: w.ifname, mac: w.containerMac, sandbox: w.netns },
    ],
    ips: [{ address: `${w.ip}/32`, gateway: w.nextHop, interface: 1 }],
    routes: [{ dst: '0.0.0.0/0', gw: w.nextHop }],
    dns: { nameservers: [w.nameserver] },
  };
}

export function errorResult(err: unknown): {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
} {
  if (err instanceof CniError) {
    return {
      cniVersion: CNI_VERSION,
      code: err.code,
      msg: err.message,
      ...(err.details !== undefined ? { details: err.details } : {}),
    };
  }
  // Anything else failed on the host while acting on a valid call.
  return { cniVersion: CNI_VERSION, code: CniCode.io, msg: err instanceof Error ? err.message : String(err) };
}
