// The overlay between cells: one VXLAN link per cell, with static forwarding entries for every other
// cell (flannel's and silk's way: no multicast, no learning). A remote cell's subnet is routed via its
// gateway address, whose MAC is derived from that address, so no cell needs to ask another for it.
import { parseCidr } from './cidr.js';
import { ignoreMissing } from './ignore-missing.js';
import { ipv4Mac } from './mac.js';
import { WEFT_LINK_ALIAS_PREFIX, WEFT_ROUTE_PROTO } from './marks.js';
import { assertIfaceName } from './names.js';
import { run } from '../host/run.js';

export const VXLAN_PORT = 4789;

/**
 * The VXLAN network identifier of an overlay: its address above the last octet, so every cell of one
 * overlay agrees on it and two overlays on one host (a test beside a real cell) never collide.
 */
export function overlayVni(overlay: string): number {
  return (parseCidr(overlay).base >>> 8) & 0xffffff;
}
// VXLAN adds 50 bytes of outer headers.
const VXLAN_OVERHEAD = 50;

export interface RemoteCell {
  subnet: string;
  gatewayIp: string;
  hostIp: string;
}

/** A locally administered unicast MAC that encodes the cell's gateway address: 02:77:a.b.c.d. */
export function vxlanMac(gatewayIp: string): string {
  return ipv4Mac([0x02, 0x77], gatewayIp);
}

/** `ip -batch` lines making this cell's VXLAN link reach exactly `remotes` (replace is idempotent). */
export function remoteCellsBatch(iface: string, remotes: RemoteCell[]): string[] {
  return remotes.flatMap((r) => [
    `neigh replace ${r.gatewayIp} lladdr ${vxlanMac(r.gatewayIp)} dev ${iface} nud permanent`,
    `route replace ${r.subnet} via ${r.gatewayIp} dev ${iface} onlink proto ${WEFT_ROUTE_PROTO}`,
  ]);
}

export async function setupVxlan(cfg: {
  iface: string;
  hostIp: string;
  gatewayIp: string;
  overlay: string;
}): Promise<void> {
  assertIfaceName(cfg.iface);
  const underlay = await underlayMtu(cfg.hostIp);
  await ignoreMissing(run(['ip', 'link', 'del', 'dev', cfg.iface]));
  await run([
    'ip',
    'link',
    'add',
    cfg.iface,
    'type',
    'vxlan',
    'id',
    String(overlayVni(cfg.overlay)),
    'local',
    cfg.hostIp,
    'dstport',
    String(VXLAN_PORT),
    'nolearning',
  ]);
  const batch = [
    `link set dev ${cfg.iface} address ${vxlanMac(cfg.gatewayIp)} mtu ${underlay - VXLAN_OVERHEAD}`,
    `link set dev ${cfg.iface} alias ${WEFT_LINK_ALIAS_PREFIX}overlay`,
    `link set dev ${cfg.iface} up`,
  ];
  await run(['ip', '-batch', '-'], batch.join('\n') + '\n');
}

/** Points the VXLAN link at the given remote cells and forgets any other. */
export async function syncRemoteCells(iface: string, remotes: RemoteCell[]): Promise<void> {
  const fdb = await run(['bridge', '-j', 'fdb', 'show', 'dev', iface]);
  const wanted = new Map(remotes.map((r) => [vxlanMac(r.gatewayIp), r.hostIp]));
  for (const entry of JSON.parse(fdb || '[]') as { mac: string; dst?: string }[]) {
    if (entry.dst !== undefined && wanted.get(entry.mac) !== entry.dst) {
      await ignoreMissing(run(['bridge', 'fdb', 'del', entry.mac, 'dev', iface, 'dst', entry.dst]));
    }
  }
  for (const r of remotes) {
    await run([
      'bridge',
      'fdb',
      'replace',
      vxlanMac(r.gatewayIp),
      'dev',
      iface,
      'dst',
      r.hostIp,
      'self',
      'permanent',
    ]);
  }
  const routes = JSON.parse(
    await run(['ip', '-j', 'route', 'show', 'dev', iface, 'proto', String(WEFT_ROUTE_PROTO)]),
  ) as { dst: string }[];
  const subnets = new Set(remotes.map((r) => r.subnet));
  for (const route of routes) {
    if (!subnets.has(route.dst)) await ignoreMissing(run(['ip', 'route', 'del', route.dst, 'dev', iface]));
  }
  if (remotes.length > 0)
    await run(['ip', '-batch', '-'], remoteCellsBatch(iface, remotes).join('\n') + '\n');
}

export async function teardownVxlan(iface: string): Promise<void> {
  await ignoreMissing(run(['ip', 'link', 'del', 'dev', iface]));
}

async function underlayMtu(hostIp: string): Promise<number> {
  const links = JSON.parse(await run(['ip', '-j', 'addr', 'show'])) as {
    mtu: number;
    addr_info?: { local: string }[];
  }[];
  return links.find((l) => l.addr_info?.some((a) => a.local === hostIp))?.mtu ?? 1500;
}
