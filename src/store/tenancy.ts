// Orgs and spaces. Deleting one takes everything in it, as Cloud Foundry's delete-org and delete-space do.
import { randomUUID } from 'node:crypto';
import type { Org, Space } from '../model/types.js';
import { conflict, notFound } from '../model/errors.js';
import { deleteApp } from './apps.js';
import { deleteRoute } from './routes.js';
import type { Db, Writer } from './writer.js';

export async function createOrg(w: Writer, name: string): Promise<Org> {
  const existing = await w.trx.selectFrom('orgs').select('guid').where('name', '=', name).executeTakeFirst();
  if (existing) throw conflict(`org ${name} already exists`);
  const org = { guid: randomUUID(), name };
  await w.trx.insertInto('orgs').values(org).execute();
  await w.put('org', org.guid, org);
  await w.audit('org.create', `org:${org.guid}`, null, org);
  return org;
}

export async function listOrgs(db: Db): Promise<Org[]> {
  return db.selectFrom('orgs').select(['guid', 'name']).orderBy('name').execute();
}

export async function createSpace(w: Writer, orgGuid: string, name: string): Promise<Space> {
  const org = await w.trx.selectFrom('orgs').select('name').where('guid', '=', orgGuid).executeTakeFirst();
  if (!org) throw notFound(`org ${orgGuid} not found`);
  const existing = await w.trx
    .selectFrom('spaces')
    .select('guid')
    .where('org_guid', '=', orgGuid)
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing) throw conflict(`space ${name} already exists in org ${org.name}`);
  const space = { guid: randomUUID(), name, orgGuid };
  await w.trx.insertInto('spaces').values({ guid: space.guid, name, org_guid: orgGuid }).execute();
  await w.put('space', space.guid, space);
  await w.audit('space.create', `space:${space.guid}`, null, space);
  return space;
}

export async function listSpaces(db: Db, orgGuid?: string): Promise<Space[]> {
  let q = db.selectFrom('spaces').select(['guid', 'name', 'org_guid as orgGuid']).orderBy('name');
  if (orgGuid !== undefined) q = q.where('org_guid', '=', orgGuid);
  return q.execute();
}

export async function getSpace(db: Db, guid: string): Promise<Space> {
  const space = await db
    .selectFrom('spaces')
    .select(['guid', 'name', 'org_guid as orgGuid'])
    .where('guid', '=', guid)
    .executeTakeFirst();
  if (!space) throw notFound(`space ${guid} not found`);
  return space;
}

export async function getSpaceWithOrg(db: Db, guid: string): Promise<{ space: Space; org: Org }> {
  const row = await db
    .selectFrom('spaces')
    .innerJoin('orgs', 'orgs.guid', 'spaces.org_guid')
    .select(['spaces.guid', 'spaces.name', 'orgs.guid as orgGuid', 'orgs.name as orgName'])
    .where('spaces.guid', '=', guid)
    .executeTakeFirst();
  if (!row) throw notFound(`space ${guid} not found`);
  return {
    space: { guid: row.guid, name: row.name, orgGuid: row.orgGuid },
    org: { guid: row.orgGuid, name: row.orgName },
  };
}

/** Each app and route goes the way `deleteApp` and `deleteRoute` take it, so followers hear of each. */
export async function deleteSpace(w: Writer, guid: string): Promise<void> {
  const space = await getSpace(w.trx, guid);
  const apps = await w.trx.selectFrom('apps').select('guid').where('space_guid', '=', guid).execute();
  for (const app of apps) await deleteApp(w, app.guid);
  const routes = await w.trx.selectFrom('routes').select('guid').where('space_guid', '=', guid).execute();
  for (const route of routes) await deleteRoute(w, route.guid);
  await w.trx.deleteFrom('spaces').where('guid', '=', guid).execute();
  await w.delete('space', guid);
  await w.audit('space.delete', `space:${guid}`, space, null);
}

export async function deleteOrg(w: Writer, guid: string): Promise<void> {
  const org = await w.trx
    .selectFrom('orgs')
    .select(['guid', 'name'])
    .where('guid', '=', guid)
    .executeTakeFirst();
  if (!org) throw notFound(`org ${guid} not found`);
  for (const space of await listSpaces(w.trx, guid)) await deleteSpace(w, space.guid);
  await w.trx.deleteFrom('orgs').where('guid', '=', guid).execute();
  await w.delete('org', guid);
  await w.audit('org.delete', `org:${guid}`, org, null);
}
