// What the CA needs to know of an instance to sign its certificates, read from the control plane's own
// records (never from the request): its app, space, org, the cell's lease and the names it answers to.
import type { Instance, Space } from '../model/types.js';
import { instanceNames } from '../model/names.js';
import { getApp } from './apps.js';
import { instanceOnCell } from './instances.js';
import { listDomains, listRoutes } from './routes.js';
import { getSpace } from './tenancy.js';
import type { Db } from './writer.js';

export interface CertificateFacts {
  instance: Instance;
  appGuid: string;
  space: Space;
  subnet: string;
  names: string[];
}

export async function certificateFacts(db: Db, cellId: string, guid: string): Promise<CertificateFacts> {
  const instance = await instanceOnCell(db, cellId, guid);
  const cell = await db
    .selectFrom('cells')
    .select('subnet')
    .where('id', '=', cellId)
    .executeTakeFirstOrThrow();
  const app = await getApp(db, instance.appGuid);
  const space = await getSpace(db, app.spaceGuid);
  const domains = new Map((await listDomains(db)).map((d) => [d.guid, d]));
  const names = instanceNames(await listRoutes(db), (g) => domains.get(g), app.guid, instance.index);
  return { instance, appGuid: app.guid, space, subnet: cell.subnet, names };
}
