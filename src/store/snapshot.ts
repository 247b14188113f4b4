// The whole desired and reported state at one revision, for cells that (re)start following.
import type { Kysely } from 'kysely';
import type { Snapshot } from '../model/types.js';
import type { Database } from './schema.js';
import { listApps, withoutEnv } from './apps.js';
import { listInstances } from './instances.js';
import { listCells } from './cells.js';
import { latestRevision } from './hub.js';
import { listPolicies } from './policies.js';
import { listDomains, listRoutes } from './routes.js';
import { getSetting } from './settings.js';
import { listOrgs, listSpaces } from './tenancy.js';

export async function readSnapshot(db: Kysely<Database>): Promise<Snapshot> {
  return {
    revision: await latestRevision(db),
    overlayCidr: (await getSetting(db, 'overlay_cidr')) ?? '',
    orgs: await listOrgs(db),
    spaces: await listSpaces(db),
    apps: (await listApps(db)).map(withoutEnv),
    domains: await listDomains(db),
    routes: await listRoutes(db),
    policies: await listPolicies(db),
    instances: await listInstances(db),
    cells: await listCells(db),
  };
}
