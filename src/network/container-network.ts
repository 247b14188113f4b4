// Plugs a container's network namespace into the cell the way Cloud Foundry's silk CNI does: a veth
// pair, the container's overlay IP as a /32 on its interface, and a default route via the link-local
// address 169.254.0.1 that the host end holds. The host reaches the container through a /32 route on the
// host end, so no bridge, ARP proxying or shared L2 segment exists between containers. The namespace is
// the caller's (a runtime's, or the cell's own named one): this module wires it and never creates it.
import { access, stat } from 'node:fs/promises';
import { parseIpv4 } from './cidr.js';
import { ignoreMissing } from './ignore-missing.js';
import { ipv4Mac } from './mac.js';
import { WEFT_LINK_ALIAS_PREFIX, WEFT_ROUTE_PROTO } from './marks.js';
import { assertIfaceName, assertNetnsPath } from './names.js';
import { run } from '../host/run.js';

export const CONTAINER_NEXT_HOP = '169.254.0.1';

export interface ContainerNetworkConfig {
  /** The namespace to wire, as a path (/run/netns/NAME for a named one). */
  netnsPath: string;
  /** The container's interface, CNI's IFNAME. */
  ifname: string;
  hostIface: string;
  ip: string;
  gatewayIp: string;
}

// Locally administered unicast; the container's IPv4 address, unique in the overlay, completes each.
const HOST_MAC_PREFIX = [0xaa, 0xaa] as const;
const CONTAINER_MAC_PREFIX = [0x0a, 0x58] as const;

/**
 * The MAC addresses a pair is made with, derived from the container's IP as silk-cni does, so a CNI result
 * lists them without reading them back from the kernel.
 */
export function pairMacs(ip: string): { host: string; container: string } {
  return { host: ipv4Mac(HOST_MAC_PREFIX, ip), container: ipv4Mac(CONTAINER_MAC_PREFIX, ip) };
}

/** `ip -batch` lines run in the host namespace; they create the pair with its peer already inside the netns. */
export function hostSideBatch(cfg: ContainerNetworkConfig): string[] {
  const macs = pairMacs(cfg.ip);
  return [
    `link add ${cfg.hostIface} address ${macs.host} type veth peer name ${cfg.ifname} address ${macs.container} netns ${cfg.netnsPath}`,
    `link set dev ${cfg.hostIface} alias ${WEFT_LINK_ALIAS_PREFIX}container`,
    `addr add ${CONTAINER_NEXT_HOP}/32 dev ${cfg.hostIface} scope link`,
    `link set dev ${cfg.hostIface} up`,
    ...hostRouteBatch(cfg),
  ];
}

/** `ip -batch` lines run inside the netns, configuring the container's side. */
export function containerSideBatch(cfg: ContainerNetworkConfig): string[] {
  return [
    'link set dev lo up',
    `addr add ${cfg.ip}/32 dev ${cfg.ifname}`,
    `link set dev ${cfg.ifname} up`,
    // Static, as silk-cni's: no ARP on the pair (see hostRouteBatch).
    `neigh replace ${CONTAINER_NEXT_HOP} lladdr ${pairMacs(cfg.ip).host} dev ${cfg.ifname} nud permanent`,
    `route add ${CONTAINER_NEXT_HOP} dev ${cfg.ifname} scope link`,
    `route add default via ${CONTAINER_NEXT_HOP} dev ${cfg.ifname} src ${cfg.ip}`,
  ];
}

function validate(cfg: ContainerNetworkConfig): void {
  assertNetnsPath(cfg.netnsPath);
  assertIfaceName(cfg.ifname);
  assertIfaceName(cfg.hostIface);
  parseIpv4(cfg.ip);
  parseIpv4(cfg.gatewayIp);
}

function inNetns(netnsPath: string, argv: string[], input?: string): Promise<string> {
  return run(['nsenter', `--net=${netnsPath}`, '--', ...argv], input);
}

/** Wires an existing netns; on failure removes whatever it had created. */
export async function wireContainer(cfg: ContainerNetworkConfig): Promise<void> {
  validate(cfg);
  if (await isHostNetns(cfg.netnsPath)) throw new Error(`${cfg.netnsPath} is the host's own namespace`);
  // IPv6 goes off while the pair is made: the overlay and the policies are IPv4 only. Every interface of the
  // namespace stays down until the container side's batch, which waits for this, so none ever holds an IPv6
  // address or sends an IPv6 packet ('all' turns it off on the interfaces there already, 'default' on later ones).
  const ipv6Off = inNetns(cfg.netnsPath, [
    'sysctl',
    '-q',
    '-w',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]).catch((err: unknown) => {
    throw new Error(`cannot enter ${cfg.netnsPath}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const [addPair, ...hostRest] = hostSideBatch(cfg);
  // Its own step: a pair that exists already belongs to someone else's wiring, which a cleanup must not touch.
  const added = run(['ip', '-batch', '-'], `${addPair}\n`);
  // Then each side is configured at once, each in its namespace.
  const hostSide = added.then(() => run(['ip', '-batch', '-'], hostRest.join('\n') + '\n'));
  const containerSide = Promise.all([ipv6Off, added]).then(() =>
    inNetns(cfg.netnsPath, ['ip', '-batch', '-'], containerSideBatch(cfg).join('\n') + '\n'),
  );
  const [pair, entered, ...sides] = await Promise.allSettled([added, ipv6Off, hostSide, containerSide]);
  const failed = [entered, pair, ...sides].find((r) => r.status === 'rejected');
  if (!failed) return;
  if (pair.status === 'fulfilled') await unwireContainer(cfg);
  throw failed.reason;
}

/** A namespace file names the namespace by its inode: the host's is the one this process is in. */
async function isHostNetns(netnsPath: string): Promise<boolean> {
  const [target, own] = await Promise.all([stat(netnsPath), stat('/proc/self/ns/net')]);
  return target.dev === own.dev && target.ino === own.ino;
}

/** Removes the veth pair, and with it the host route; what is already gone is fine. */
export async function unwireContainer(cfg: Pick<ContainerNetworkConfig, 'hostIface'>): Promise<void> {
  assertIfaceName(cfg.hostIface);
  await ignoreMissing(run(['ip', 'link', 'del', 'dev', cfg.hostIface]));
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

interface IpAddr {
  address?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}
interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
}

/** What differs from the wiring wireContainer made: empty when intact (CNI's CHECK). */
export async function wiringDrift(cfg: ContainerNetworkConfig): Promise<string[]> {
  validate(cfg);
  if (!(await exists(cfg.netnsPath))) return [`network namespace ${cfg.netnsPath} is gone`];
  const link = await run(['ip', '-j', 'link', 'show', 'dev', cfg.hostIface]).catch(() => null);
  if (link === null) return [`host link ${cfg.hostIface} is gone`];
  const drift: string[] = [];
  const macs = pairMacs(cfg.ip);
  const hostMac = (JSON.parse(link) as IpAddr[])[0]?.address;
  if (hostMac !== macs.host) drift.push(`${cfg.hostIface} has MAC ${hostMac}, not ${macs.host}`);
  if (!(await hasHostRoute(cfg))) drift.push(`host route to ${cfg.ip}/32 via ${cfg.hostIface} is missing`);
  const addrs = await inNetns(cfg.netnsPath, ['ip', '-j', 'addr', 'show', 'dev', cfg.ifname]).catch(
    () => null,
  );
  if (addrs === null) return [...drift, `interface ${cfg.ifname} is gone from the container`];
  const iface = (JSON.parse(addrs) as IpAddr[])[0];
  if (iface?.address !== macs.container)
    drift.push(`${cfg.ifname} has MAC ${iface?.address}, not ${macs.container}`);
  const held = iface?.addr_info ?? [];
  if (!held.some((a) => a.family === 'inet' && a.local === cfg.ip && a.prefixlen === 32))
    drift.push(`${cfg.ifname} does not hold ${cfg.ip}/32`);
  const routes = JSON.parse(
    await inNetns(cfg.netnsPath, ['ip', '-j', 'route', 'show', 'default']),
  ) as IpRoute[];
  if (!routes.some((r) => r.gateway === CONTAINER_NEXT_HOP && r.dev === cfg.ifname))
    drift.push(`the container's default route via ${CONTAINER_NEXT_HOP} is missing`);
  return drift;
}

async function hasHostRoute(cfg: ContainerNetworkConfig): Promise<boolean> {
  const out = await run(['ip', '-j', 'route', 'show', 'to', 'exact', `${cfg.ip}/32`]);
  return (JSON.parse(out) as IpRoute[]).some((r) => r.dev === cfg.hostIface);
}

export type HostSideState = 'intact' | 'repaired' | 'gone';

/**
 * Checks the host's end of a container's wiring, as the periodic resync does: a missing host route is put
 * back; a missing veth or netns cannot be mended in place ('gone': the instance must be made anew).
 */
export async function repairHostSide(cfg: ContainerNetworkConfig): Promise<HostSideState> {
  validate(cfg);
  if (!(await exists(cfg.netnsPath))) return 'gone';
  const link = await run(['ip', '-j', 'link', 'show', 'dev', cfg.hostIface]).catch(() => null);
  if (link === null) return 'gone';
  if (await hasHostRoute(cfg)) return 'intact';
  await run(['ip', '-batch', '-'], hostRouteBatch(cfg).join('\n') + '\n');
  return 'repaired';
}

/**
 * The route to the container, and its neighbour entry made static (both MACs follow from its address):
 * a first packet resolved over ARP while the container's end was still coming up waited a second for
 * ARP's retry, and a container can't poison a permanent entry with ARP of its own.
 */
function hostRouteBatch(cfg: ContainerNetworkConfig): string[] {
  return [
    `route replace ${cfg.ip}/32 dev ${cfg.hostIface} src ${cfg.gatewayIp} proto ${WEFT_ROUTE_PROTO}`,
    `neigh replace ${cfg.ip} lladdr ${pairMacs(cfg.ip).container} dev ${cfg.hostIface} nud permanent`,
  ];
}
