// Database rows to the platform's resources.
import type { Selectable } from 'kysely';
import type {
  App,
  AppState,
  Cell,
  Domain,
  Instance,
  InstanceState,
  Policy,
  Protocol,
  Space,
} from '../model/types.js';
import type {
  AppsTable,
  CellsTable,
  DomainsTable,
  InstancesTable,
  PoliciesTable,
  SpacesTable,
} from './schema.js';

export function appFromRow(r: Selectable<AppsTable>): App {
  return {
    guid: r.guid,
    name: r.name,
    spaceGuid: r.space_guid,
    command: r.command,
    packageDigest: r.package_digest,
    packageSize: r.package_size,
    instances: r.instances,
    memoryMb: r.memory_mb,
    env: JSON.parse(r.env) as Record<string, string>,
    ports: JSON.parse(r.ports) as number[],
    state: r.state as AppState,
    tag: r.tag,
    mtls: r.mtls === 1,
  };
}

export function policyFromRow(r: Selectable<PoliciesTable>): Policy {
  return {
    sourceAppGuid: r.source_app_guid,
    destAppGuid: r.dest_app_guid,
    protocol: r.protocol as Protocol,
    startPort: r.start_port,
    endPort: r.end_port,
  };
}

export function policyToRow(p: Policy): Selectable<PoliciesTable> {
  return {
    source_app_guid: p.sourceAppGuid,
    dest_app_guid: p.destAppGuid,
    protocol: p.protocol,
    start_port: p.startPort,
    end_port: p.endPort,
  };
}

export function instanceFromRow(r: Selectable<InstancesTable>): Instance {
  return {
    guid: r.guid,
    appGuid: r.app_guid,
    index: r.idx,
    cellId: r.cell_id,
    state: r.state as InstanceState,
    ip: r.ip,
    since: r.since,
    ...(r.external ? { external: true as const } : {}),
    ...(r.stack !== null ? { stack: r.stack } : {}),
  };
}

export function spaceFromRow(r: Selectable<SpacesTable>): Space {
  return { guid: r.guid, name: r.name, orgGuid: r.org_guid };
}

export function domainFromRow(r: Selectable<DomainsTable>): Domain {
  return { guid: r.guid, name: r.name, internal: r.internal === 1 };
}

export function cellFromRow(r: Selectable<CellsTable>): Cell {
  return { id: r.id, hostIp: r.host_ip, subnet: r.subnet };
}
