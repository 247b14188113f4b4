// Plugs a container's network namespace into the cell the way Cloud Foundry's silk CNI does: a veth
// pair, the container's overlay IP as a /32 on eth0, and a default route via the link-local address
// 169.254.0.1 that the host end holds. The host reaches the container through a /32 route on the host
// end, so no bridge, ARP proxying or shared L2 segment exists between containers.
import { parseIpv4 } from './cidr.js';
import { ignoreMissing } from './ignore-missing.js';
import { WEFT_LINK_ALIAS_PREFIX, WEFT_ROUTE_PROTO } from './marks.js';
import { assertIfaceName, assertNetnsName } from './names.js';
import { run } from '../host/run.js';

const CONTAINER_NEXT_HOP = '169.254.0.1';

export interface ContainerNetworkConfig {
  netns: string;
  hostIface: string;
  ip: string;
  gatewayIp: string;
}

/** `ip -batch` lines run in the host namespace; they create the pair with its peer already inside the netns. */
export function hostSideBatch(cfg: ContainerNetworkConfig): string[] {
  return [
    `link add ${cfg.hostIface} type veth peer name eth0 netns ${cfg.netns}`,
    `link set dev ${cfg.hostIface} alias ${WEFT_LINK_ALIAS_PREFIX}container`,
    `addr add ${CONTAINER_NEXT_HOP}/32 dev ${cfg.hostIface} scope link`,
    `link set dev ${cfg.hostIface} up`,
    ...hostRouteBatch(cfg),
  ];
}

/** `ip -n NETNS -batch` lines configuring the container's side. */
export function containerSideBatch(cfg: ContainerNetworkConfig): string[] {
  return [
    'link set dev lo up',
    `addr add ${cfg.ip}/32 dev eth0`,
    'link set dev eth0 up',
    `route add ${CONTAINER_NEXT_HOP} dev eth0 scope link`,
    `route add default via ${CONTAINER_NEXT_HOP} dev eth0 src ${cfg.ip}`,
  ];
}

function validate(cfg: ContainerNetworkConfig): void {
  assertNetnsName(cfg.netns);
  assertIfaceName(cfg.hostIface);
  parseIpv4(cfg.ip);
  parseIpv4(cfg.gatewayIp);
}

/** Creates the named netns and wires it up; on failure removes whatever it had created. */
export async function attachContainer(cfg: ContainerNetworkConfig): Promise<void> {
  validate(cfg);
  await run(['ip', 'netns', 'add', cfg.netns]);
  try {
    // Before eth0 exists, so it is born without IPv6: the overlay and the policies are IPv4 only.
    await run([
      'nsenter',
      `--net=/run/netns/${cfg.netns}`,
      '--',
      'sysctl',
      '-q',
      '-w',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    await run(['ip', '-batch', '-'], hostSideBatch(cfg).join('\n') + '\n');
    await run(['ip', '-n', cfg.netns, '-batch', '-'], containerSideBatch(cfg).join('\n') + '\n');
  } catch (err) {
    await detachContainer(cfg);
    throw err;
  }
}

/** Removes the veth pair (and with it the host route) and the netns; what is already gone is fine. */
export async function detachContainer(
  cfg: Pick<ContainerNetworkConfig, 'netns' | 'hostIface'>,
): Promise<void> {
  assertNetnsName(cfg.netns);
  assertIfaceName(cfg.hostIface);
  await ignoreMissing(run(['ip', 'link', 'del', 'dev', cfg.hostIface]));
  await ignoreMissing(run(['ip', 'netns', 'del', cfg.netns]));
}

export type HostSideState = 'intact' | 'repaired' | 'gone';

/**
 * Checks the host's end of a container's wiring, as the periodic resync does: a missing host route is put
 * back; a missing veth or netns cannot be mended in place ('gone': the instance must be made anew).
 */
export async function repairHostSide(cfg: ContainerNetworkConfig): Promise<HostSideState> {
  validate(cfg);
  const netns = await run(['ip', 'netns', 'list']);
  if (!netns.split('\n').some((line) => line.split(' ')[0] === cfg.netns)) return 'gone';
  const link = await run(['ip', '-j', 'link', 'show', 'dev', cfg.hostIface]).catch(() => null);
  if (link === null) return 'gone';
  const routes = JSON.parse(await run(['ip', '-j', 'route', 'show', 'to', 'exact', `${cfg.ip}/32`])) as {
    dev?: string;
  }[];
  if (routes.some((r) => r.dev === cfg.hostIface)) return 'intact';
  await run(['ip', '-batch', '-'], hostRouteBatch(cfg).join('\n') + '\n');
  return 'repaired';
}

function hostRouteBatch(cfg: ContainerNetworkConfig): string[] {
  return [`route replace ${cfg.ip}/32 dev ${cfg.hostIface} src ${cfg.gatewayIp} proto ${WEFT_ROUTE_PROTO}`];
}
