// Space quotas. A space already holding more than the defaults of the time keeps what it holds: it
// gets a quota of its own at its usage, so no write it was allowed before is refused now.
import { sql, type Kysely } from 'kysely';

/** The defaults when this migration was written; later changes to them do not rewrite history. */
const DEFAULTS = {
  apps: 100,
  instances: 200,
  memory_mb: 20_480,
  routes: 200,
  policies: 1000,
  env_bytes: 65_536,
};

type Usage = typeof DEFAULTS;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('space_quotas')
    .addColumn('space_guid', 'text', (c) => c.primaryKey().references('spaces.guid').onDelete('cascade'))
    .addColumn('apps', 'integer', (c) => c.notNull())
    .addColumn('instances', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('routes', 'integer', (c) => c.notNull())
    .addColumn('policies', 'integer', (c) => c.notNull())
    .addColumn('env_bytes', 'integer', (c) => c.notNull())
    .execute();
  // The guard counts a space's routes on every write that touches one.
  await db.schema.createIndex('routes_space').on('routes').column('space_guid').execute();

  const usage = new Map<string, Usage>();
  const of = (space: string) => {
    const u = usage.get(space) ?? {
      apps: 0,
      instances: 0,
      memory_mb: 0,
      routes: 0,
      policies: 0,
      env_bytes: 0,
    };
    usage.set(space, u);
    return u;
  };
  const apps = await sql<{
    space_guid: string;
    instances: number;
    memory_mb: number;
    env: string;
  }>`select space_guid, instances, memory_mb, env from apps`.execute(db);
  for (const a of apps.rows) {
    const u = of(a.space_guid);
    u.apps += 1;
    u.instances += a.instances;
    u.memory_mb += a.instances * a.memory_mb;
    u.env_bytes = Math.max(u.env_bytes, Buffer.byteLength(a.env));
  }
  const routes = await sql<{ space_guid: string; n: number }>`
    select space_guid, count(*) as n from routes where space_guid is not null group by space_guid`.execute(
    db,
  );
  for (const r of routes.rows) of(r.space_guid).routes = Number(r.n);
  const policies = await sql<{ space_guid: string; n: number }>`
    select apps.space_guid, count(*) as n from policies join apps on apps.guid = policies.source_app_guid
    group by apps.space_guid`.execute(db);
  for (const p of policies.rows) of(p.space_guid).policies = Number(p.n);

  for (const [space, u] of usage) {
    const keys = Object.keys(DEFAULTS) as (keyof Usage)[];
    if (keys.every((k) => u[k] <= DEFAULTS[k])) continue;
    const q = Object.fromEntries(keys.map((k) => [k, Math.max(u[k], DEFAULTS[k])])) as Usage;
    await sql`insert into space_quotas (space_guid, apps, instances, memory_mb, routes, policies, env_bytes)
      values (${space}, ${q.apps}, ${q.instances}, ${q.memory_mb}, ${q.routes}, ${q.policies}, ${q.env_bytes})`.execute(
      db,
    );
  }
}
