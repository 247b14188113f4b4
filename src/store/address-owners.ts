// Which instance, app, space and org hold each of a set of overlay addresses now: how the control plane
// names the two ends of a flow a cell reported by address alone.
import type { FlowEndpoint } from '../contract/flows.js';
import type { Db } from './writer.js';

export type AddressOwner = Omit<FlowEndpoint, 'ip' | 'port'>;

export async function addressOwners(db: Db, ips: string[]): Promise<Map<string, AddressOwner>> {
  const owners = new Map<string, AddressOwner>();
  if (ips.length === 0) return owners;
  const rows = await db
    .selectFrom('instances')
    .innerJoin('apps', 'apps.guid', 'instances.app_guid')
    .innerJoin('spaces', 'spaces.guid', 'apps.space_guid')
    .innerJoin('orgs', 'orgs.guid', 'spaces.org_guid')
    .select([
      'instances.ip as ip',
      'instances.guid as instanceGuid',
      'instances.idx as instanceIndex',
      'apps.guid as appGuid',
      'apps.name as appName',
      'spaces.guid as spaceGuid',
      'spaces.name as spaceName',
      'orgs.guid as orgGuid',
      'orgs.name as orgName',
    ])
    .where('instances.ip', 'in', ips)
    .execute();
  for (const { ip, ...owner } of rows) if (ip !== null) owners.set(ip, owner);
  return owners;
}

export const NO_OWNER: AddressOwner = {
  appGuid: null,
  appName: null,
  spaceGuid: null,
  spaceName: null,
  orgGuid: null,
  orgName: null,
  instanceGuid: null,
  instanceIndex: null,
};
