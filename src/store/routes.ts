// Domains, routes and their mappings to apps. Internal domains are served by the cells' DNS. A route
// belongs to the space that created it: only that space's apps are mapped to it, so a name's DNS
// answers and 61443 certificate stay with its owner.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Domain, Route } from '../model/types.js';
import { conflict, invalid, notFound } from '../model/errors.js';
import { domainFromRow } from './rows.js';
import type { RoutesTable } from './schema.js';
import type { Db, Writer } from './writer.js';

export const DEFAULT_INTERNAL_DOMAIN = 'apps.internal';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function checkDomainName(name: string): void {
  const labels = name.split('.');
  if (name.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    throw invalid(
      `domain: ${name} is not a valid domain name (lowercase labels of letters, digits and hyphens)`,
    );
  }
}

function checkHostname(host: string): void {
  if (!LABEL.test(host)) {
    throw invalid(`hostname: ${host} is not a valid host name (1-63 lowercase letters, digits and hyphens)`);
  }
}

export async function createDomain(w: Writer, name: string, internal: boolean): Promise<Domain> {
  checkDomainName(name);
  const existing = await w.trx
    .selectFrom('domains')
    .select('guid')
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing) throw conflict(`domain ${name} already exists`);
  const domain: Domain = { guid: randomUUID(), name, internal };
  await w.trx
    .insertInto('domains')
    .values({ guid: domain.guid, name, internal: internal ? 1 : 0 })
    .execute();
  await w.put('domain', domain.guid, domain);
  await w.audit('domain.create', `domain:${domain.guid}`, null, domain);
  return domain;
}

/** Its routes go first, one by one, so every cell hears of each name it must stop answering to. */
export async function deleteDomain(w: Writer, guid: string): Promise<void> {
  const row = await w.trx.selectFrom('domains').selectAll().where('guid', '=', guid).executeTakeFirst();
  if (!row) throw notFound(`domain ${guid} not found`);
  const routes = await w.trx.selectFrom('routes').select('guid').where('domain_guid', '=', guid).execute();
  for (const route of routes) await deleteRoute(w, route.guid);
  await w.trx.deleteFrom('domains').where('guid', '=', guid).execute();
  await w.delete('domain', guid);
  await w.audit('domain.delete', `domain:${guid}`, domainFromRow(row), null);
}

export async function listDomains(db: Db): Promise<Domain[]> {
  const rows = await db.selectFrom('domains').selectAll().orderBy('name').execute();
  return rows.map(domainFromRow);
}

/** Routes with their apps; only those of the given spaces when a scope is given. */
export async function listRoutes(db: Db, spaceGuids?: string[]): Promise<Route[]> {
  if (spaceGuids?.length === 0) return [];
  let q = db.selectFrom('routes').selectAll().orderBy('host');
  if (spaceGuids) q = q.where('space_guid', 'in', spaceGuids);
  const routes = await q.execute();
  const mappings = await db.selectFrom('route_mappings').selectAll().orderBy('app_guid').execute();
  return routes.map((r) =>
    routeFromRow(
      r,
      mappings.filter((m) => m.route_guid === r.guid).map((m) => m.app_guid),
    ),
  );
}

export async function getRoute(db: Db, routeGuid: string): Promise<Route> {
  const route = await db.selectFrom('routes').selectAll().where('guid', '=', routeGuid).executeTakeFirst();
  if (!route) throw notFound(`route ${routeGuid} not found`);
  return routeWithApps(db, route);
}

export async function routeWithApps(db: Db, route: Selectable<RoutesTable> | string): Promise<Route> {
  const row =
    typeof route === 'string'
      ? await db.selectFrom('routes').selectAll().where('guid', '=', route).executeTakeFirstOrThrow()
      : route;
  const apps = await db
    .selectFrom('route_mappings')
    .select('app_guid')
    .where('route_guid', '=', row.guid)
    .orderBy('app_guid')
    .execute();
  return routeFromRow(
    row,
    apps.map((a) => a.app_guid),
  );
}

export function routeFromRow(r: Selectable<RoutesTable>, appGuids: string[]): Route {
  return { guid: r.guid, host: r.host, domainGuid: r.domain_guid, spaceGuid: r.space_guid, appGuids };
}

/**
 * Finds the route HOST.DOMAIN for a space, creating it when it does not exist (map-route creates routes
 * as cf does). A name another space owns is refused; a name older than route ownership, mapped to no
 * app, is taken over by the space that asks first.
 */
export async function findOrCreateRoute(
  w: Writer,
  host: string,
  domainGuid: string,
  spaceGuid: string,
): Promise<{ route: Route; created: boolean }> {
  checkHostname(host);
  const domain = await w.trx
    .selectFrom('domains')
    .select('name')
    .where('guid', '=', domainGuid)
    .executeTakeFirst();
  if (!domain) throw notFound(`domain ${domainGuid} not found`);
  const space = await w.trx
    .selectFrom('spaces')
    .select('guid')
    .where('guid', '=', spaceGuid)
    .executeTakeFirst();
  if (!space) throw notFound(`space ${spaceGuid} not found`);
  const row = await w.trx
    .selectFrom('routes')
    .selectAll()
    .where('host', '=', host)
    .where('domain_guid', '=', domainGuid)
    .executeTakeFirst();
  if (row) {
    const existing = await routeWithApps(w.trx, row);
    if (row.space_guid === spaceGuid) return { route: existing, created: false };
    if (row.space_guid !== null || existing.appGuids.length > 0) {
      throw conflict(`route ${host}.${domain.name} belongs to another space`);
    }
    await w.trx.updateTable('routes').set({ space_guid: spaceGuid }).where('guid', '=', row.guid).execute();
    const claimed = { ...existing, spaceGuid };
    await w.put('route', row.guid, claimed);
    await w.audit('route.claim', `route:${row.guid}`, existing, claimed);
    return { route: claimed, created: false };
  }
  const route: Route = { guid: randomUUID(), host, domainGuid, spaceGuid, appGuids: [] };
  await w.trx
    .insertInto('routes')
    .values({ guid: route.guid, host, domain_guid: domainGuid, space_guid: spaceGuid })
    .execute();
  await w.put('route', route.guid, route);
  await w.audit('route.create', `route:${route.guid}`, null, route);
  return { route, created: true };
}

/** Maps an app of the route's own space; an unowned route is owned by that space from then on. */
export async function mapRoute(w: Writer, routeGuid: string, appGuid: string): Promise<Route> {
  const app = await w.trx
    .selectFrom('apps')
    .select('space_guid')
    .where('guid', '=', appGuid)
    .executeTakeFirst();
  if (!app) throw notFound(`app ${appGuid} not found`);
  const before = await getRoute(w.trx, routeGuid);
  if (before.spaceGuid !== null && before.spaceGuid !== app.space_guid) {
    throw invalid("route: only apps of the route's own space can be mapped to it");
  }
  if (before.appGuids.includes(appGuid)) return before;
  if (before.spaceGuid === null) {
    await w.trx
      .updateTable('routes')
      .set({ space_guid: app.space_guid })
      .where('guid', '=', routeGuid)
      .execute();
  }
  await w.trx.insertInto('route_mappings').values({ route_guid: routeGuid, app_guid: appGuid }).execute();
  const after = await routeWithApps(w.trx, routeGuid);
  await w.put('route', routeGuid, after);
  await w.audit('route.map', `route:${routeGuid}`, before, after);
  return after;
}

export async function unmapRoute(w: Writer, routeGuid: string, appGuid: string): Promise<Route> {
  const before = await getRoute(w.trx, routeGuid);
  if (!before.appGuids.includes(appGuid)) throw notFound('the route is not mapped to that app');
  await w.trx
    .deleteFrom('route_mappings')
    .where('route_guid', '=', routeGuid)
    .where('app_guid', '=', appGuid)
    .execute();
  const after = await routeWithApps(w.trx, routeGuid);
  await w.put('route', routeGuid, after);
  await w.audit('route.unmap', `route:${routeGuid}`, before, after);
  return after;
}

export async function deleteRoute(w: Writer, routeGuid: string): Promise<void> {
  const before = await getRoute(w.trx, routeGuid);
  await w.trx.deleteFrom('routes').where('guid', '=', routeGuid).execute();
  await w.delete('route', routeGuid);
  await w.audit('route.delete', `route:${routeGuid}`, before, null);
}
