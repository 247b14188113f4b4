// Apps: what a push says of them, their policy tag, and their env. The change stream and the audit log
// never carry env values: cells ask for an instance's env, and the log keeps variable names only.
import { randomUUID } from 'node:crypto';
import { policyKey, type App, type StreamApp } from '../model/types.js';
import { isEnvName, isPlatformEnvName } from '../model/env.js';
import { conflict, invalid, notFound } from '../model/errors.js';
import { C2C_TLS_PORT, FIRST_APP_TLS_PORT, isPlatformPort, LAST_APP_TLS_PORT } from '../model/ports.js';
import { deleteInstancesOf, placeInstances, replaceInstances } from './instances.js';
import { collectPackage } from './packages.js';
import { appFromRow, policyFromRow } from './rows.js';
import { routeWithApps } from './routes.js';
import type { Db, Writer } from './writer.js';

const MAX_TAG = 0xffff;

/** What a push says of an app; the platform adds its GUID, its policy tag, the mTLS switch, and its package once uploaded. */
export type AppSpec = Omit<App, 'guid' | 'tag' | 'mtls' | 'packageDigest' | 'packageSize'>;

/** What an update may change: never the name, space, GUID or tag. */
export interface AppPatch {
  command?: string;
  instances?: number;
  memoryMb?: number;
  env?: Record<string, string>;
  ports?: number[];
  state?: App['state'];
  mtls?: boolean;
}

export function withoutEnv(app: App): StreamApp {
  const { env, ...rest } = app;
  return rest;
}

/** What the audit log keeps of an app: its env as variable names, never values. */
function audited(app: App): StreamApp & { envNames: string[] } {
  return { ...withoutEnv(app), envNames: Object.keys(app.env).sort() };
}

/** Cloud Foundry's rules: a shell variable name, and none the platform sets (PORT, VCAP_*, VMW_*, WEFT_*). */
function checkEnv(env: Record<string, string>): void {
  for (const name of Object.keys(env)) {
    if (!isEnvName(name)) {
      throw invalid(
        `env: ${JSON.stringify(name)} is not a variable name (letters, digits and _, not starting with a digit)`,
      );
    }
    if (isPlatformEnvName(name)) {
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
  const app: App = {
    guid: randomUUID(),
    ...spec,
    packageDigest: null,
    packageSize: null,
    tag: await freeTag(w),
    mtls: false,
  };
  await w.trx.insertInto('apps').values(appToRow(app)).execute();
  await w.put('app', app.guid, withoutEnv(app));
  await w.audit('app.create', `app:${app.guid}`, null, audited(app));
  await placeInstances(w, app);
  return app;
}

export async function updateApp(w: Writer, guid: string, patch: AppPatch): Promise<App> {
  return changeApp(w, guid, patch, {});
}

/**
 * Gives the app new bits: a package already stored (see store/packages.ts). New bits replace the app's
 * instances, as `cf push` does; the same bits again change nothing. The old package goes if no app uses it.
 */
export async function setAppPackage(w: Writer, guid: string, digest: string, size: number): Promise<App> {
  const before = await getApp(w.trx, guid);
  if (before.packageDigest === digest) return before;
  const after = await changeApp(w, guid, {}, { packageDigest: digest, packageSize: size });
  if (before.packageDigest !== null) await collectPackage(w, before.packageDigest);
  return after;
}

async function changeApp(
  w: Writer,
  guid: string,
  patch: AppPatch,
  bits: Partial<Pick<App, 'packageDigest' | 'packageSize'>>,
): Promise<App> {
  const before = await getApp(w.trx, guid);
  if (patch.ports) checkPorts(patch.ports);
  if (patch.env) checkEnv(patch.env);
  const after: App = {
    ...before,
    command: patch.command ?? before.command,
    packageDigest: bits.packageDigest ?? before.packageDigest,
    packageSize: bits.packageSize ?? before.packageSize,
    instances: patch.instances ?? before.instances,
    memoryMb: patch.memoryMb ?? before.memoryMb,
    env: patch.env ?? before.env,
    ports: patch.ports ?? before.ports,
    state: patch.state ?? before.state,
    mtls: patch.mtls ?? before.mtls,
  };
  await w.trx.updateTable('apps').set(appToRow(after)).where('guid', '=', guid).execute();
  await w.put('app', guid, withoutEnv(after));
  await w.audit('app.update', `app:${guid}`, audited(before), audited(after));
  const restart = ['command', 'packageDigest', 'env', 'memoryMb', 'ports'].some(
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
  await deleteInstancesOf(w, guid);
  const policies = await w.trx
    .selectFrom('policies')
    .selectAll()
    .where((eb) => eb.or([eb('source_app_guid', '=', guid), eb('dest_app_guid', '=', guid)]))
    .execute();
  await w.trx
    .deleteFrom('policies')
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
  await w.audit('app.delete', `app:${guid}`, audited(app), null);
  if (app.packageDigest !== null) await collectPackage(w, app.packageDigest);
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
    package_digest: app.packageDigest,
    package_size: app.packageSize,
    instances: app.instances,
    memory_mb: app.memoryMb,
    env: JSON.stringify(app.env),
    ports: JSON.stringify(app.ports),
    state: app.state,
    tag: app.tag,
    mtls: app.mtls ? 1 : 0,
  };
}
