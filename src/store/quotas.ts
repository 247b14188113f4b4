// Space quotas as stored, and what a space uses of them. The rules that compare the two live in
// src/guards/quota.ts.
import type { Quota } from '../contract/api.js';
import type { Db, Writer } from './writer.js';

export type { Quota } from '../contract/api.js';

export interface SpaceUsage {
  spaceName: string;
  usage: Quota;
}

/** The quota an admin set for the space; null when it has the defaults. */
export async function readQuota(db: Db, spaceGuid: string): Promise<Quota | null> {
  const row = await db
    .selectFrom('space_quotas')
    .selectAll()
    .where('space_guid', '=', spaceGuid)
    .executeTakeFirst();
  if (!row) return null;
  return {
    apps: row.apps,
    instances: row.instances,
    memoryMb: row.memory_mb,
    routes: row.routes,
    policies: row.policies,
    envBytes: row.env_bytes,
  };
}

export async function writeQuota(w: Writer, spaceGuid: string, before: Quota, after: Quota): Promise<void> {
  const row = {
    apps: after.apps,
    instances: after.instances,
    memory_mb: after.memoryMb,
    routes: after.routes,
    policies: after.policies,
    env_bytes: after.envBytes,
  };
  await w.trx
    .insertInto('space_quotas')
    .values({ space_guid: spaceGuid, ...row })
    .onConflict((oc) => oc.column('space_guid').doUpdateSet(row))
    .execute();
  await w.audit('space.quota', `space:${spaceGuid}`, before, after);
}

/** What the space holds now; null when there is no such space. */
export async function readUsage(db: Db, spaceGuid: string): Promise<SpaceUsage | null> {
  const space = await db.selectFrom('spaces').select('name').where('guid', '=', spaceGuid).executeTakeFirst();
  if (!space) return null;
  const apps = await db
    .selectFrom('apps')
    .select(['instances', 'memory_mb', 'env'])
    .where('space_guid', '=', spaceGuid)
    .execute();
  const routes = await db
    .selectFrom('routes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('space_guid', '=', spaceGuid)
    .executeTakeFirstOrThrow();
  const policies = await db
    .selectFrom('policies')
    .innerJoin('apps', 'apps.guid', 'policies.source_app_guid')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('apps.space_guid', '=', spaceGuid)
    .executeTakeFirstOrThrow();
  const usage = {
    apps: apps.length,
    instances: apps.reduce((sum, a) => sum + a.instances, 0),
    memoryMb: apps.reduce((sum, a) => sum + a.instances * a.memory_mb, 0),
    routes: Number(routes.n),
    policies: Number(policies.n),
    // The column holds the env's JSON as written.
    envBytes: Math.max(0, ...apps.map((a) => Buffer.byteLength(a.env))),
  };
  return { spaceName: space.name, usage };
}

export async function spacesOfApps(db: Db, appGuids: string[]): Promise<string[]> {
  if (appGuids.length === 0) return [];
  const rows = await db
    .selectFrom('apps')
    .select('space_guid')
    .distinct()
    .where('guid', 'in', appGuids)
    .execute();
  return rows.map((r) => r.space_guid);
}

export async function spacesOfRoutes(db: Db, routeGuids: string[]): Promise<string[]> {
  if (routeGuids.length === 0) return [];
  const rows = await db
    .selectFrom('routes')
    .select('space_guid')
    .distinct()
    .where('guid', 'in', routeGuids)
    .execute();
  return rows.flatMap((r) => (r.space_guid === null ? [] : [r.space_guid]));
}
