// Per-space quotas, as Cloud Foundry's space quotas: one tenant cannot take the platform's app tags,
// instances, memory or store. The guard runs inside every write transaction, after the write's changes
// and before its commit, so no path gets around it and writes serialised behind each other cannot race
// past it. A space never holds more than its quota (lowering one below the usage is refused), so a
// space over a quota after a write is one the write took over it.
import { conflict, notFound, quotaExceeded } from '../model/errors.js';
import type { App, LoggedChange, Policy, Route } from '../model/types.js';
import { readHeld, spacesOfApps, spacesOfRoutes, writeQuota, type Quota } from '../store/quotas.js';
import type { Writer } from '../store/writer.js';

/** What a space may hold unless an admin sets otherwise; near Cloud Foundry's "default" quota. */
export const DEFAULT_QUOTA: Quota = {
  apps: 100,
  instances: 200,
  memoryMb: 20_480,
  routes: 200,
  policies: 1000,
  envBytes: 64 * 1024,
};

/** Each quota in words, with its unit. */
const NAMES: Record<keyof Quota, string> = {
  apps: 'apps',
  instances: 'instances',
  memoryMb: 'memory (MB)',
  routes: 'routes',
  policies: 'policies',
  envBytes: 'env per app (bytes)',
};

const COUNTED = ['apps', 'instances', 'memoryMb', 'routes', 'policies'] as const;

/** The first quota that `usage` exceeds, in words; null when it is within all of those it counts. */
export function quotaProblem(space: string, quota: Quota, usage: Partial<Quota>): string | null {
  for (const key of [...COUNTED, 'envBytes'] as const) {
    const used = usage[key];
    if (used !== undefined && used > quota[key]) {
      return (
        `quota exceeded in space ${space}: ${NAMES[key]} would be ${used}, over its quota of ` +
        `${quota[key]}; an admin can raise it with weft set-space-quota`
      );
    }
  }
  return null;
}

/** Why `quota` cannot be set for a space that holds `usage`; null when it can. */
export function loweringProblem(space: string, quota: Quota, usage: Quota): string | null {
  for (const key of [...COUNTED, 'envBytes'] as const) {
    if (usage[key] > quota[key]) {
      return (
        `the ${NAMES[key]} quota of space ${space} cannot be set to ${quota[key]}: the space already ` +
        `uses ${usage[key]}`
      );
    }
  }
  return null;
}

/** What a write put that quotas count: apps (with their space), routes, and policies' source apps. */
export function touched(changes: readonly Omit<LoggedChange, 'revision'>[]) {
  const appsBySpace = new Map<string, string[]>();
  const routeGuids = new Set<string>();
  const sourceAppGuids = new Set<string>();
  for (const c of changes) {
    // Deletes only ever lower a space's usage.
    if (c.op !== 'put') continue;
    if (c.kind === 'app') {
      const app = c.object as App;
      appsBySpace.set(app.spaceGuid, [...(appsBySpace.get(app.spaceGuid) ?? []), app.guid]);
    }
    if (c.kind === 'route') routeGuids.add((c.object as Route).guid);
    if (c.kind === 'policy') sourceAppGuids.add((c.object as Policy).sourceAppGuid);
  }
  return { appsBySpace, routeGuids: [...routeGuids], sourceAppGuids: [...sourceAppGuids] };
}

/** The guard: refuses (rolls back) a write that takes a space it touched over one of its quotas. */
export async function enforceQuotas(w: Writer): Promise<void> {
  const t = touched(w.changes);
  // Each touched space, with the apps whose env this write may have grown.
  const spaces = new Map<string, string[]>(t.appsBySpace);
  for (const space of [
    ...(await spacesOfRoutes(w.trx, t.routeGuids)),
    ...(await spacesOfApps(w.trx, t.sourceAppGuids)),
  ]) {
    if (!spaces.has(space)) spaces.set(space, []);
  }
  for (const [guid, envOf] of spaces) {
    const held = await readHeld(w.trx, guid, envOf);
    // A space deleted by this very write holds nothing any more.
    if (held === null) continue;
    const problem = quotaProblem(held.spaceName, held.quota ?? DEFAULT_QUOTA, held.usage);
    if (problem !== null) throw quotaExceeded(problem);
  }
}

/** Sets a space's quota; fields left out keep their value. */
export async function setSpaceQuota(w: Writer, spaceGuid: string, patch: Partial<Quota>): Promise<Quota> {
  const held = await readHeld(w.trx, spaceGuid, 'all');
  if (held === null) throw notFound(`space ${spaceGuid} not found`);
  const before = held.quota ?? DEFAULT_QUOTA;
  const after: Quota = { ...before, ...patch };
  const problem = loweringProblem(held.spaceName, after, held.usage);
  if (problem !== null) throw conflict(problem);
  await writeQuota(w, spaceGuid, before, after);
  return after;
}
