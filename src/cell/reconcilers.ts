// The cell's reconcilers, as data: each keeps one part of the host in line with the cell's copy of the
// world, and FOLLOWS says which kinds of change concern which part. A change runs the reconcilers that
// follow its kind; a new world and the periodic resync run all of them (converger.ts).
import type { EnforcerDesired } from '../enforcer/desired.js';
import type { Zone } from '../dns/zone.js';
import { buildZone } from '../dns/zone.js';
import type { HostSideState } from '../network/container-network.js';
import type { RemoteCell } from '../network/vxlan.js';
import type { ResourceKind } from '../model/types.js';
import type { Allocator } from './allocation.js';
import type { Reconciler, RunMode } from './converger.js';
import type { LocalInstance, OutsideContainer } from './local.js';
import { orphanedOutside, planEnforcer, planInstances, remoteCells, type CellIdentity } from './plan.js';
import type { World } from './world.js';

export type ReconcilerName = 'overlay' | 'kernel' | 'dns' | 'instances' | 'certificates' | 'savedWorld';

/** Which reconcilers each kind of change concerns. A kind added to the world needs one line here. */
export const FOLLOWS: Readonly<Record<ResourceKind, readonly ReconcilerName[]>> = {
  org: ['savedWorld'],
  space: ['savedWorld'],
  app: ['kernel', 'dns', 'instances', 'certificates', 'savedWorld'],
  domain: ['dns', 'certificates', 'savedWorld'],
  route: ['dns', 'certificates', 'savedWorld'],
  policy: ['kernel', 'certificates', 'savedWorld'],
  instance: ['kernel', 'dns', 'instances', 'certificates', 'savedWorld'],
  cell: ['overlay', 'kernel', 'savedWorld'],
};

/** The small interfaces the reconcilers drive; the agent plugs the real parts in, tests plug fakes. */
export interface CellParts {
  identity: CellIdentity;
  allocator: Allocator;
  world(): World;
  kernel: {
    apply(desired: EnforcerDesired): Promise<void>;
    /** Compares the live table with what was applied last; rebuilds it on drift. True when it did. */
    repair(): Promise<boolean>;
  };
  overlay: { sync(remotes: RemoteCell[]): Promise<void> };
  dns: { setZone(zone: Zone): Promise<void> | void };
  instances: {
    locals(): LocalInstance[];
    start(local: LocalInstance): Promise<void>;
    stop(guid: string): Promise<void>;
    refreshAll(): Promise<void>;
    check(guid: string): Promise<HostSideState>;
    /** Outside containers whose CNI ADD waits for the planner to start them. */
    outsideWaiting(): ReadonlyMap<string, OutsideContainer>;
    /** Removes an outside runtime's instance this cell no longer runs from the control plane. */
    leave(guid: string): Promise<void>;
  };
  saveWorld(world: World): Promise<void>;
  /** Runs the kernel reconciler now and resolves once the kernel holds the plan. */
  applyKernel(): Promise<void>;
}

const SAVE_INTERVAL_MS = 1_000;

export function cellReconcilers(parts: CellParts): Reconciler<ReconcilerName>[] {
  const none = (task: () => unknown) => async () => {
    await task();
    return 0;
  };
  return [
    {
      name: 'overlay',
      run: none(() => parts.overlay.sync(remoteCells(parts.world(), parts.identity.cellId))),
    },
    {
      name: 'kernel',
      run: async (mode: RunMode) => {
        await parts.kernel.apply(planEnforcer(parts.world(), parts.identity, parts.instances.locals()));
        return mode === 'resync' && (await parts.kernel.repair()) ? 1 : 0;
      },
    },
    { name: 'dns', run: none(() => parts.dns.setZone(buildZone(parts.world().toSnapshot()))) },
    { name: 'instances', run: (mode: RunMode) => reconcileInstances(parts, mode) },
    { name: 'certificates', run: none(() => parts.instances.refreshAll()) },
    {
      name: 'savedWorld',
      // Only a fallback for starting without the control plane: a burst of changes costs one write, off
      // the path from a change to the kernel.
      minIntervalMs: SAVE_INTERVAL_MS,
      run: none(() => parts.saveWorld(parts.world())),
    },
  ];
}

async function reconcileInstances(parts: CellParts, mode: RunMode): Promise<number> {
  const { instances } = parts;
  const { cellId } = parts.identity;
  let repaired = 0;
  if (mode === 'resync') {
    for (const local of instances.locals()) {
      const state = await instances.check(local.guid);
      if (state === 'intact') continue;
      repaired++;
      // A container whose wiring is gone is made anew below, with the same placement.
      if (state === 'gone') await instances.stop(local.guid);
    }
    // E.g. a cell restarted while outside containers ran, or a container whose namespace vanished.
    for (const guid of orphanedOutside(parts.world(), cellId, instances.locals(), instances.outsideWaiting()))
      await instances.leave(guid);
  }
  const waiting = instances.outsideWaiting();
  const plan = planInstances(parts.world(), cellId, parts.allocator, instances.locals(), waiting);
  await Promise.all(plan.stop.map((guid) => instances.stop(guid)));
  // Addresses of stopped instances leave the kernel's tables before anything can take them.
  if (plan.stop.length > 0 || repaired > 0) await parts.applyKernel();
  await Promise.all(plan.start.map((local) => instances.start(local)));
  return repaired;
}
