// Apps and their instances. The control plane places instances on cells whenever an app's
// desired state changes; cells report how each instance is actually doing.
import { randomUUID } from 'node:crypto';
import { policyKey, type App, type Instance, type Route } from '../model/types.js';
import { conflict, invalid, notFound } from '../model/errors.js';
import { C2C_TLS_PORT, FIRST_APP_TLS_PORT, isPlatformPort, LAST_APP_TLS_PORT } from '../model/ports.js';
import { appFromRow, instanceFromRow, policyFromRow } from './rows.js';
import type { Db, Writer } from './writer.js';

const MAX_TAG = 0xffff;

/** What a push says of an app; the platform adds its GUID, its policy tag and the mTLS switch. */
export type AppSpec = Omit<App, 'guid' | 'tag' | 'mtls'>;

export type AppPatch = Partial<Omit<AppSpec, 'spaceGuid' | 'name'>> & { mtls?: boolean };

/** Cloud Foundry's rules: a shell variable name, and none the platform sets (PORT, VCAP_*, VMW_*, WEFT_*). */
function checkEnv(env: Record<string, string>): void {
  for (const name of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw invalid(
        `env: ${JSON.stringify(name)} is not a variable name (letters, digits and _, not starting with a digit)`,
      );
    }
    if (name === 'PORT' || /^(VCAP|VMW|WEFT)_/.test(name)) {
      throw invalid(`env: ${name} is set by the platform and cannot be set by an app`);
    }
  }
}

export function checkPorts(ports: number[]): void {
  if (ports.length === 0) throw invalid('ports: an app needs at least one port');
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalid(`ports: ${p} is not a port (1-65535)`);
    if (isPlatformPort(p)) {
      throw invalid(
        `ports: ${p} is reserved for the platform's proxy (${C2C_TLS_PORT}, ${FIRST_APP_TLS_PORT}-${LAST_APP_TLS_PORT})`,
      );
    }
  }
  if (new Set(ports).size !== ports.length) throw invalid('ports: a port is listed twice');
}

export async function createApp(w: Writer, spec: AppSpec): Promise<App> {
  checkPorts(spec.ports);
  checkEnv(spec.env);
  const space = await w.trx
    .selectFrom('spaces')
    .select('guid')
    .where('guid', '=', spec.spaceGuid)
    .executeTakeFirst();
  if (!space) throw notFound(`space ${spec.spaceGuid} not found`);
  const taken = await w.trx
    .selectFrom('apps')
    .select('guid')
    .where('space_guid', '=', spec.spaceGuid)
    .where('name', '=', spec.name)
    .executeTakeFirst();
  if (taken) throw conflict(`app ${spec.name} already exists in this space`);
  const app: App = { guid: randomUUID(), ...spec, tag: await freeTag(w), mtls: false };
  await w.trx.insertInto('apps').values(appToRow(app)).execute();
  await w.put('app', app.guid, app);
  await w.audit('app.create', `app:${app.guid}`, null, app);
  await placeInstances(w, app);
  return app;
}

export async function updateApp(w: Writer, guid: string, patch: AppPatch): Promise<App> {
  const before = await getApp(w.trx, guid);
  if (patch.ports) checkPorts(patch.ports);
  if (patch.env) checkEnv(patch.env);
  const after: App = { ...before, ...definedOnly(patch) };
  await w.trx.updateTable('apps').set(appToRow(after)).where('guid', '=', guid).execute();
  await w.put('app', guid, after);
  await w.audit('app.update', `app:${guid}`, before, after);
  const restart = ['command', 'path', 'env', 'memoryMb', 'ports'].some(
    (k) => JSON.stringify(before[k as keyof App]) !== JSON.stringify(after[k as keyof App]),
  );
  if (restart) await replaceInstances(w, after);
  else await placeInstances(w, after);
  return after;
}

/** Stops every instance and starts new ones (new instance GUIDs), as `cf restart` does. */
export async function restartApp(w: Writer, guid: string): Promise<App> {
  const app = await getApp(w.trx, guid);
  await w.audit('app.restart', `app:${guid}`, null, null);
  await replaceInstances(w, app);
  return app;
}

export async function deleteApp(w: Writer, guid: string): Promise<void> {
  const app = await getApp(w.trx, guid);
  const instances = await w.trx.selectFrom('instances').select('guid').where('app_guid', '=', guid).execute();
  for (const i of instances) await w.delete('instance', i.guid);
  const policies = await w.trx
    .selectFrom('policies')
    .selectAll()
    .where((eb) => eb.or([eb('source_app_guid', '=', guid), eb('dest_app_guid', '=', guid)]))
    .execute();
  for (const p of policies) {
    await w.delete('policy', policyKey(policyFromRow(p)));
  }
  const routes = await w.trx
    .selectFrom('route_mappings')
    .select('route_guid')
    .where('app_guid', '=', guid)
    .execute();
  await w.trx.deleteFrom('apps').where('guid', '=', guid).execute();
  for (const r of routes) await w.put('route', r.route_guid, await routeWithApps(w.trx, r.route_guid));
  await w.delete('app', guid);
  await w.audit('app.delete', `app:${guid}`, app, null);
}

export async function getApp(db: Db, guid: string): Promise<App> {
  const row = await db.selectFrom('apps').selectAll().where('guid', '=', guid).executeTakeFirst();
  if (!row) throw notFound(`app ${guid} not found`);
  return appFromRow(row);
}

export async function listApps(
  db: Db,
  filter: { spaceGuids?: string[]; name?: string } = {},
): Promise<App[]> {
  let q = db.selectFrom('apps').selectAll().orderBy('name');
  if (filter.spaceGuids) {
    if (filter.spaceGuids.length === 0) return [];
    q = q.where('space_guid', 'in', filter.spaceGuids);
  }
  if (filter.name !== undefined) q = q.where('name', '=', filter.name);
  return (await q.execute()).map(appFromRow);
}

export async function listInstances(db: Db, filter: { appGuid?: string } = {}): Promise<Instance[]> {
  let q = db.selectFrom('instances').selectAll().orderBy('app_guid').orderBy('idx');
  if (filter.appGuid !== undefined) q = q.where('app_guid', '=', filter.appGuid);
  return (await q.execute()).map(instanceFromRow);
}

export async function routeWithApps(db: Db, routeGuid: string): Promise<Route> {
  const route = await db
    .selectFrom('routes')
    .selectAll()
    .where('guid', '=', routeGuid)
    .executeTakeFirstOrThrow();
  const apps = await db
    .selectFrom('route_mappings')
    .select('app_guid')
    .where('route_guid', '=', routeGuid)
    .orderBy('app_guid')
    .execute();
  return {
    guid: route.guid,
    host: route.host,
    domainGuid: route.domain_guid,
    appGuids: apps.map((a) => a.app_guid),
  };
}

/** Brings the app's instances to its desired count: indexes 0..n-1 while started, none while stopped. */
async function placeInstances(w: Writer, app: App): Promise<void> {
  const want = app.state === 'STARTED' ? app.instances : 0;
  const have = (await listInstances(w.trx, { appGuid: app.guid })).sort((a, b) => a.index - b.index);
  for (const i of have.filter((i) => i.index >= want)) {
    await w.trx.deleteFrom('instances').where('guid', '=', i.guid).execute();
    await w.delete('instance', i.guid);
  }
  const present = new Set(have.map((i) => i.index));
  for (let index = 0; index < want; index++) {
    if (present.has(index)) continue;
    const instance: Instance = {
      guid: randomUUID(),
      appGuid: app.guid,
      index,
      cellId: await leastLoadedCell(w),
      state: 'STARTING',
      ip: null,
      since: new Date().toISOString(),
    };
    await w.trx
      .insertInto('instances')
      .values({
        guid: instance.guid,
        app_guid: app.guid,
        idx: index,
        cell_id: instance.cellId,
        state: instance.state,
        ip: null,
        since: instance.since,
      })
      .execute();
    await w.put('instance', instance.guid, instance);
  }
}

async function replaceInstances(w: Writer, app: App): Promise<void> {
  await placeInstances(w, { ...app, state: 'STOPPED' });
  await placeInstances(w, app);
}

/** Places instances that waited for a cell; called when a cell registers. */
export async function placeWaitingInstances(w: Writer): Promise<void> {
  const waiting = await w.trx.selectFrom('instances').selectAll().where('cell_id', '=', '').execute();
  for (const row of waiting) {
    const cellId = await leastLoadedCell(w);
    await w.trx.updateTable('instances').set({ cell_id: cellId }).where('guid', '=', row.guid).execute();
    await w.put('instance', row.guid, { ...instanceFromRow(row), cellId });
  }
}

async function leastLoadedCell(w: Writer): Promise<string> {
  const cells = await w.trx
    .selectFrom('cells')
    .leftJoin('instances', 'instances.cell_id', 'cells.id')
    .select(['cells.id', (eb) => eb.fn.count('instances.guid').as('n')])
    .groupBy('cells.id')
    .orderBy('n')
    .orderBy('cells.id')
    .execute();
  // '' marks an instance that waits for the first cell to register.
  return cells[0]?.id ?? '';
}

async function freeTag(w: Writer): Promise<number> {
  const rows = await w.trx.selectFrom('apps').select('tag').orderBy('tag').execute();
  let tag = 1;
  for (const r of rows) {
    if (r.tag !== tag) break;
    tag++;
  }
  if (tag > MAX_TAG) throw conflict('no free app tag: the platform holds 65535 apps');
  return tag;
}

function appToRow(app: App) {
  return {
    guid: app.guid,
    space_guid: app.spaceGuid,
    name: app.name,
    command: app.command,
    path: app.path,
    instances: app.instances,
    memory_mb: app.memoryMb,
    env: JSON.stringify(app.env),
    ports: JSON.stringify(app.ports),
    state: app.state,
    tag: app.tag,
    mtls: app.mtls ? 1 : 0,
  };
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
