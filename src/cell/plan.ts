// Pure planning: from the cell's copy of the world and the instances it runs, what the kernel should hold
// and which instances should start or stop here. The reconcilers (reconcilers.ts) apply these plans.
import type { EnforcerDesired } from '../enforcer/desired.js';
import type { Instance } from '../model/types.js';
import { gatewayAddress } from '../network/cidr.js';
import type { RemoteCell } from '../network/vxlan.js';
import { allocateLocal, type Allocator } from './allocation.js';
import { forEachAppFlow } from './policy-index.js';
import type { World } from './world.js';
import { DNS_PORT, type LocalInstance, type OutsideContainer } from './local.js';

export interface CellIdentity {
  cellId: string;
  table: string;
  ifacePrefix: string;
  overlayCidr: string;
  gatewayIp: string;
  /** The cell's own cgroup: its proxy and health checks are the host's only way into containers. */
  exemptCgroup: EnforcerDesired['exemptCgroup'];
  /** Where the kernel logs denied flows, while the flow log runs. */
  flowLog?: EnforcerDesired['flowLog'];
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
  forEachAppFlow(world, (_, flow) => policies.push(flow));
  const { cellId, ...rules } = cell;
  return {
    ...rules,
    // VXLAN is taken only from the hosts of the other cells.
    peerHosts: remoteCells(world, cellId).map((c) => c.hostIp),
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

/** Every other cell, for the VXLAN link: its subnet, routed to its gateway on its host. */
export function remoteCells(world: World, cellId: string): RemoteCell[] {
  return [...world.tables.cell.values()]
    .filter((c) => c.id !== cellId)
    .map((c) => ({ subnet: c.subnet, gatewayIp: gatewayAddress(c.subnet), hostIp: c.hostIp }));
}

/** Whether the world wants `i` running on cell `cellId`: placed here, and its app started. */
export function isPlacedHere(i: Instance, cellId: string, world: World): boolean {
  return i.cellId === cellId && world.tables.app.get(i.appGuid)?.state === 'STARTED';
}

export interface InstancePlan {
  /** Instances running here that the world no longer wants here. */
  stop: string[];
  /** Instances to start, each with its own address, uid, names and proxy ports. */
  start: LocalInstance[];
}

/**
 * What to start and stop so that this cell runs exactly the instances placed on it. An outside runtime's
 * instance starts only while its CNI ADD waits (`outside`): weft has no process to start for it.
 */
export function planInstances(
  world: World,
  cellId: string,
  cell: Allocator,
  running: readonly LocalInstance[],
  outside: ReadonlyMap<string, OutsideContainer> = new Map(),
): InstancePlan {
  const wanted = [...world.tables.instance.values()].filter((i) => isPlacedHere(i, cellId, world));
  const wantedGuids = new Set(wanted.map((i) => i.guid));
  const stop = running.filter((l) => !wantedGuids.has(l.guid)).map((l) => l.guid);
  const kept = running.filter((l) => wantedGuids.has(l.guid));
  const runningGuids = new Set(kept.map((l) => l.guid));
  const used = new Set(kept.map((l) => l.ip));
  const start: LocalInstance[] = [];
  for (const i of wanted) {
    const app = world.tables.app.get(i.appGuid);
    const container = outside.get(i.guid);
    if (runningGuids.has(i.guid) || !app || (i.external && !container)) continue;
    const local = { ...allocateLocal(cell, i, app, used), ...(container ? { outside: container } : {}) };
    used.add(local.ip);
    start.push(local);
  }
  return { stop, start };
}

/** Outside runtimes' instances the world has on this cell that run here no longer and no ADD waits for. */
export function orphanedOutside(
  world: World,
  cellId: string,
  running: readonly LocalInstance[],
  outside: ReadonlyMap<string, OutsideContainer>,
): string[] {
  const here = new Set(running.map((l) => l.guid));
  return [...world.tables.instance.values()]
    .filter((i) => i.external && i.cellId === cellId && !here.has(i.guid) && !outside.has(i.guid))
    .map((i) => i.guid);
}
