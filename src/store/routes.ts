// Domains, routes and their mappings to apps. Internal domains are served by the cells' DNS.
import { randomUUID } from 'node:crypto';
import type { Domain, Route } from '../model/types.js';
import { conflict, invalid, notFound } from '../model/errors.js';
import { getApp, routeWithApps } from './apps.js';
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
  await w.audit(
    'domain.delete',
    `domain:${guid}`,
    { guid, name: row.name, internal: row.internal === 1 },
    null,
  );
}

export async function listDomains(db: Db): Promise<Domain[]> {
  const rows = await db.selectFrom('domains').selectAll().orderBy('name').execute();
  return rows.map((r) => ({ guid: r.guid, name: r.name, internal: r.internal === 1 }));
}

export async function listRoutes(db: Db): Promise<Route[]> {
  const routes = await db.selectFrom('routes').selectAll().orderBy('host').execute();
  const mappings = await db.selectFrom('route_mappings').selectAll().orderBy('app_guid').execute();
  return routes.map((r) => ({
    guid: r.guid,
    host: r.host,
    domainGuid: r.domain_guid,
    appGuids: mappings.filter((m) => m.route_guid === r.guid).map((m) => m.app_guid),
  }));
}

/** Finds the route HOST.DOMAIN, creating it when asked (map-route creates routes as cf does). */
export async function findOrCreateRoute(
  w: Writer,
  host: string,
  domainGuid: string,
  spaceGuid: string | null = null,
): Promise<Route> {
  checkHostname(host);
  const domain = await w.trx
    .selectFrom('domains')
    .select('guid')
    .where('guid', '=', domainGuid)
    .executeTakeFirst();
  if (!domain) throw notFound(`domain ${domainGuid} not found`);
  const row = await w.trx
    .selectFrom('routes')
    .select('guid')
    .where('host', '=', host)
    .where('domain_guid', '=', domainGuid)
    .executeTakeFirst();
  if (row) return routeWithApps(w.trx, row.guid);
  const route: Route = { guid: randomUUID(), host, domainGuid, appGuids: [] };
  await w.trx
    .insertInto('routes')
    .values({ guid: route.guid, host, domain_guid: domainGuid, space_guid: spaceGuid })
    .execute();
  await w.put('route', route.guid, route);
  await w.audit('route.create', `route:${route.guid}`, null, route);
  return route;
}

export async function mapRoute(w: Writer, routeGuid: string, appGuid: string): Promise<Route> {
  await getApp(w.trx, appGuid);
  const before = await routeWithApps(w.trx, routeGuid);
  if (before.appGuids.includes(appGuid)) return before;
  await w.trx.insertInto('route_mappings').values({ route_guid: routeGuid, app_guid: appGuid }).execute();
  const after = await routeWithApps(w.trx, routeGuid);
  await w.put('route', routeGuid, after);
  await w.audit('route.map', `route:${routeGuid}`, before, after);
  return after;
}

export async function unmapRoute(w: Writer, routeGuid: string, appGuid: string): Promise<Route> {
  const before = await routeWithApps(w.trx, routeGuid);
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
  const before = await routeWithApps(w.trx, routeGuid).catch(() => {
    throw notFound(`route ${routeGuid} not found`);
  });
  await w.trx.deleteFrom('routes').where('guid', '=', routeGuid).execute();
  await w.delete('route', routeGuid);
  await w.audit('route.delete', `route:${routeGuid}`, before, null);
}
