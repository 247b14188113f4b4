// Space quotas as stored, and what a space uses of them. The rules that compare the two live in
// src/guards/quota.ts.
import type { Quota } from '../contract/api.js';
import { chunks, GUIDS_PER_QUERY, type Db, type Writer } from './writer.js';

export type { Quota } from '../contract/api.js';

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

/**
 * A space's name, the quota an admin set for it (null: the defaults) and what it holds, in one query
 * (a write's guard runs inside the serialised write, so every round trip counts). Env sizes are read
 * only for `envOf`: the apps a write put, or all of them.
 */
export async function readHeld(
  db: Db,
  spaceGuid: string,
  envOf: string[] | 'all',
): Promise<{ spaceName: string; quota: Quota | null; usage: Quota } | null> {
  const row = await db
    .selectFrom('spaces')
    .leftJoin('space_quotas', 'space_quotas.space_guid', 'spaces.guid')
    .select((eb) => [
      'spaces.name',
      'space_quotas.apps as quotaApps',
      'space_quotas.instances as quotaInstances',
      'space_quotas.memory_mb as quotaMemoryMb',
      'space_quotas.routes as quotaRoutes',
      'space_quotas.policies as quotaPolicies',
      'space_quotas.env_bytes as quotaEnvBytes',
      eb
        .selectFrom('apps')
        .select((a) => a.fn.countAll<number>().as('n'))
        .where('apps.space_guid', '=', spaceGuid)
        .as('apps'),
      eb
        .selectFrom('apps')
        .select((a) => a.fn.sum<number>('apps.instances').as('n'))
        .where('apps.space_guid', '=', spaceGuid)
        .as('instances'),
      eb
        .selectFrom('apps')
        .select((a) => a.fn.sum<number>(a('apps.instances', '*', a.ref('apps.memory_mb'))).as('n'))
        .where('apps.space_guid', '=', spaceGuid)
        .as('memoryMb'),
      eb
        .selectFrom('routes')
        .select((r) => r.fn.countAll<number>().as('n'))
        .where('routes.space_guid', '=', spaceGuid)
        .as('routes'),
      eb
        .selectFrom('policies')
        .innerJoin('apps', 'apps.guid', 'policies.source_app_guid')
        .select((p) => p.fn.countAll<number>().as('n'))
        .where('apps.space_guid', '=', spaceGuid)
        .as('policies'),
    ])
    .where('spaces.guid', '=', spaceGuid)
    .executeTakeFirst();
  if (!row) return null;
  let envBytes = 0;
  if (envOf === 'all' || envOf.length > 0) {
    let q = db.selectFrom('apps').select('env').where('space_guid', '=', spaceGuid);
    if (envOf !== 'all') q = q.where('guid', 'in', envOf);
    // The column holds the env's JSON as written; its size is what the quota bounds.
    envBytes = Math.max(0, ...(await q.execute()).map((a) => Buffer.byteLength(a.env)));
  }
  const quota =
    row.quotaApps === null
      ? null
      : {
          apps: row.quotaApps,
          instances: Number(row.quotaInstances),
          memoryMb: Number(row.quotaMemoryMb),
          routes: Number(row.quotaRoutes),
          policies: Number(row.quotaPolicies),
          envBytes: Number(row.quotaEnvBytes),
        };
  return {
    spaceName: row.name,
    quota,
    usage: {
      apps: Number(row.apps ?? 0),
      instances: Number(row.instances ?? 0),
      memoryMb: Number(row.memoryMb ?? 0),
      routes: Number(row.routes ?? 0),
      policies: Number(row.policies ?? 0),
      envBytes,
    },
  };
}

export async function spacesOfApps(db: Db, appGuids: string[]): Promise<string[]> {
  const spaces = new Set<string>();
  // A write may name many thousand apps (an admin's batch of policies): a bounded `in` list each time.
  for (const chunk of chunks(appGuids, GUIDS_PER_QUERY)) {
    const rows = await db
      .selectFrom('apps')
      .select('space_guid')
      .distinct()
      .where('guid', 'in', chunk)
      .execute();
    for (const r of rows) spaces.add(r.space_guid);
  }
  return [...spaces];
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
