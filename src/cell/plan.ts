// Pure planning: from the cell's copy of the world and the instances it runs, what the kernel should hold.
import type { EnforcerDesired } from '../enforcer/desired.js';
import type { World } from './world.js';
import { DNS_PORT, type LocalInstance } from './local.js';

export interface CellIdentity {
  cellId: string;
  table: string;
  ifacePrefix: string;
  overlayCidr: string;
  gatewayIp: string;
  exemptCgroup: EnforcerDesired['exemptCgroup'];
}

export function planEnforcer(
  world: World,
  cell: CellIdentity,
  local: Iterable<LocalInstance>,
): EnforcerDesired {
  const apps = world.tables.app;
  const tagByIp = new Map<string, number>();
  for (const i of world.tables.instance.values()) {
    const tag = apps.get(i.appGuid)?.tag;
    if (i.ip !== null && tag !== undefined) tagByIp.set(i.ip, tag);
  }
  const localInstances: EnforcerDesired['localInstances'] = [];
  const proxyForwards: EnforcerDesired['proxyForwards'] = [];
  for (const l of local) {
    // Local instances are tagged before the control plane hears their IP, so they start protected.
    const tag = apps.get(l.appGuid)?.tag;
    if (tag !== undefined) tagByIp.set(l.ip, tag);
    localInstances.push({ ip: l.ip, hostIface: l.hostIface });
    for (const p of l.proxyPorts) proxyForwards.push({ ip: l.ip, port: p.port, proxyPort: p.proxyPort });
  }
  const policies: EnforcerDesired['policies'] = [];
  for (const p of world.tables.policy.values()) {
    const srcTag = apps.get(p.sourceAppGuid)?.tag;
    const dstTag = apps.get(p.destAppGuid)?.tag;
    if (srcTag === undefined || dstTag === undefined) continue;
    policies.push({ srcTag, dstTag, protocol: p.protocol, startPort: p.startPort, endPort: p.endPort });
  }
  const { cellId, ...rules } = cell;
  const peers = [...world.tables.cell.values()].filter((c) => c.id !== cellId);
  return {
    ...rules,
    peerHosts: peers.map((c) => c.hostIp),
    localInstances,
    tags: [...tagByIp].map(([ip, tag]) => ({ ip, tag })),
    policies,
    proxyForwards,
    hostServices: [
      { protocol: 'udp', port: DNS_PORT },
      { protocol: 'tcp', port: DNS_PORT },
    ],
  };
}
