// What a cell wants its kernel to enforce, and the checks that make it safe to render as an nft script.
import { cidrContains, isIpv4, parseCidr } from '../network/cidr.js';

export type L4Protocol = 'tcp' | 'udp';

export interface EnforcerDesired {
  /** nft table name, e.g. 'weft'. */
  table: string;
  /** Host-side veth names start with this. */
  ifacePrefix: string;
  overlayCidr: string;
  /** This cell's address for DNS and proxy listeners. */
  gatewayIp: string;
  /** Containers on this cell. */
  localInstances: { ip: string; hostIface: string }[];
  /** Every running instance in the overlay (all cells) → its app's tag (1..65535). */
  tags: { ip: string; tag: number }[];
  policies: { srcTag: number; dstTag: number; protocol: L4Protocol; startPort: number; endPort: number }[];
  /** DNAT INSTANCE_IP:port → gatewayIp:proxyPort (tcp). */
  proxyForwards: { ip: string; port: number; proxyPort: number }[];
  /** What containers may reach on gatewayIp besides DNAT-ed proxy forwards (e.g. DNS 53). */
  hostServices: { protocol: L4Protocol; port: number }[];
  /**
   * The cell process's own cgroup v2 (src/runtime/cell-cgroup.ts): its sockets, the proxy's and the health
   * checks', are the only ones on the host that reach containers without a policy. `path` is relative to
   * /sys/fs/cgroup, as nft's `socket cgroupv2` takes it; `level` is its depth in the v2 hierarchy.
   */
  exemptCgroup: { path: string; level: number };
  /** Host addresses of the other cells: the only senders of this overlay's VXLAN. */
  peerHosts: string[];
  /**
   * Denied new flows are copied to this NFLOG group (src/flows/), at most `perSourcePerSecond` per source
   * address, so one noisy container cannot flood the log. Absent: nothing is logged.
   */
  flowLog?: { group: number; perSourcePerSecond: number };
}

export class EnforcerInputError extends Error {
  override name = 'EnforcerInputError';
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
// Linux interface names: at most 15 bytes; we also keep them free of quotes and wildcards.
const IFACE_CHARS = /^[A-Za-z0-9_.-]+$/;
const IFNAMSIZ = 15;
// Quoted into the rule as is: no quotes, backslashes or spaces, and no `.` or `..` steps.
const CGROUP_STEP = /^(?!\.\.?$)[A-Za-z0-9_.@:+=,-]+$/;

function fail(message: string): never {
  throw new EnforcerInputError(message);
}

function checkPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${what}: port ${port} is not in 1..65535`);
}

function checkTag(what: string, tag: number): void {
  if (!Number.isInteger(tag) || tag < 1 || tag > 65535) fail(`${what}: tag ${tag} is not in 1..65535`);
}

function checkProtocol(what: string, protocol: string): void {
  if (protocol !== 'tcp' && protocol !== 'udp') fail(`${what}: protocol ${protocol} is not tcp or udp`);
}

/** Throws EnforcerInputError naming the first problem; everything the planner pastes into nft passes through here. */
export function validateDesired(d: EnforcerDesired): void {
  if (!TABLE_NAME.test(d.table)) fail(`table name '${d.table}' must match ${TABLE_NAME}`);
  if (!IFACE_CHARS.test(d.ifacePrefix) || d.ifacePrefix.length >= IFNAMSIZ) {
    fail(`ifacePrefix '${d.ifacePrefix}' must be 1..14 characters of [A-Za-z0-9_.-]`);
  }
  try {
    parseCidr(d.overlayCidr);
  } catch {
    fail(`overlayCidr '${d.overlayCidr}' is not a network address a.b.c.d/n`);
  }
  const inOverlay = (what: string, ip: string): void => {
    if (!isIpv4(ip)) fail(`${what}: '${ip}' is not an IPv4 address`);
    if (!cidrContains(d.overlayCidr, ip)) fail(`${what}: ${ip} is outside the overlay ${d.overlayCidr}`);
  };
  inOverlay('gatewayIp', d.gatewayIp);

  for (const inst of d.localInstances) {
    inOverlay('localInstances', inst.ip);
    if (!IFACE_CHARS.test(inst.hostIface) || inst.hostIface.length > IFNAMSIZ) {
      fail(`localInstances: interface '${inst.hostIface}' is not a valid interface name`);
    }
    if (!inst.hostIface.startsWith(d.ifacePrefix) || inst.hostIface === d.ifacePrefix) {
      fail(`localInstances: interface '${inst.hostIface}' must start with the prefix '${d.ifacePrefix}'`);
    }
  }

  const tagOf = new Map<string, number>();
  for (const { ip, tag } of d.tags) {
    inOverlay('tags', ip);
    checkTag('tags', tag);
    const known = tagOf.get(ip);
    if (known !== undefined && known !== tag) fail(`tags: ${ip} has two tags, ${known} and ${tag}`);
    tagOf.set(ip, tag);
  }

  for (const p of d.policies) {
    const what = `policy ${p.srcTag}→${p.dstTag}`;
    checkTag(what, p.srcTag);
    checkTag(what, p.dstTag);
    checkProtocol(what, p.protocol);
    checkPort(what, p.startPort);
    checkPort(what, p.endPort);
    if (p.startPort > p.endPort) fail(`${what}: start port ${p.startPort} is after end port ${p.endPort}`);
  }

  const forwardTo = new Map<string, number>();
  for (const f of d.proxyForwards) {
    inOverlay('proxyForwards', f.ip);
    checkPort('proxyForwards', f.port);
    checkPort('proxyForwards', f.proxyPort);
    const key = `${f.ip}:${f.port}`;
    const known = forwardTo.get(key);
    if (known !== undefined && known !== f.proxyPort) {
      fail(`proxyForwards: ${key} is forwarded to two proxy ports, ${known} and ${f.proxyPort}`);
    }
    forwardTo.set(key, f.proxyPort);
  }

  for (const s of d.hostServices) {
    checkProtocol('hostServices', s.protocol);
    checkPort('hostServices', s.port);
  }

  const { path, level } = d.exemptCgroup;
  const steps = path.split('/');
  if (!steps.every((step) => CGROUP_STEP.test(step))) {
    fail(`exemptCgroup: path '${path}' must be relative steps of [A-Za-z0-9_.@:+=,-], none . or ..`);
  }
  // Level 0 is the root cgroup, every process's ancestor.
  if (!Number.isInteger(level) || level < 1 || level > steps.length) {
    fail(`exemptCgroup: level ${level} is not in 1..${steps.length}, the depth of '${path}' at most`);
  }

  for (const ip of d.peerHosts) {
    if (!isIpv4(ip)) fail(`peerHosts: '${ip}' is not an IPv4 address`);
    if (cidrContains(d.overlayCidr, ip)) fail(`peerHosts: ${ip} is inside the overlay ${d.overlayCidr}`);
  }

  if (d.flowLog !== undefined) {
    const { group, perSourcePerSecond: rate } = d.flowLog;
    if (!Number.isInteger(group) || group < 1 || group > 65535)
      fail(`flowLog: group ${group} is not in 1..65535`);
    if (!Number.isInteger(rate) || rate < 1 || rate > 10_000)
      fail(`flowLog: rate ${rate} is not in 1..10000`);
  }
}
