// Table shapes as kysely sees them; one interface per table, column names as stored.
import type { Generated } from 'kysely';

export interface OrgsTable {
  guid: string;
  name: string;
}

export interface SpacesTable {
  guid: string;
  org_guid: string;
  name: string;
}

export interface AppsTable {
  guid: string;
  space_guid: string;
  name: string;
  command: string;
  /** SHA-256 of the app's package; null until its bits are pushed. */
  package_digest: string | null;
  package_size: number | null;
  instances: number;
  memory_mb: number;
  env: string;
  ports: string;
  state: string;
  tag: number;
  mtls: number;
}

export interface DomainsTable {
  guid: string;
  name: string;
  internal: number;
}

export interface RoutesTable {
  guid: string;
  host: string;
  domain_guid: string;
  /** The space that created the route; null for routes older than route ownership, with no app. */
  space_guid: string | null;
}

export interface RouteMappingsTable {
  route_guid: string;
  app_guid: string;
}

export interface PoliciesTable {
  source_app_guid: string;
  dest_app_guid: string;
  protocol: string;
  start_port: number;
  end_port: number;
}

export interface InstancesTable {
  guid: string;
  app_guid: string;
  idx: number;
  cell_id: string;
  state: string;
  ip: string | null;
  since: string;
  /** 1 for an instance an outside runtime started (see migrations/0005). */
  external: Generated<number>;
  /** The stack the container runs on, "name version", as the cell reported it (migrations/0007). */
  stack: Generated<string | null>;
}

export interface CellsTable {
  id: string;
  host_ip: string;
  subnet: string;
  state: Generated<'alive' | 'lost'>;
  /** ISO time of the last heartbeat, as the server that took it saw it; null before the first. */
  last_seen: string | null;
  lost_at: string | null;
  /** The instances the cell said it runs, in its last heartbeat. */
  running: number | null;
  /** The change-stream revision it had applied, in its last heartbeat. */
  revision: number | null;
}

export interface TokensTable {
  id: string;
  name: string;
  hash: string;
  role: string;
  created_at: string;
  /** The one cell a cell token speaks for. */
  cell_id: string | null;
  expires_at: string | null;
}

export interface TokenSpacesTable {
  token_id: string;
  space_guid: string;
}

export interface ChangesTable {
  revision: Generated<number>;
  kind: string;
  op: string;
  key: string;
  object: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: string | null;
  after: string | null;
}

/** A space's quota as an admin set it; a space without a row has the defaults (src/guards/quota.ts). */
export interface SpaceQuotasTable {
  space_guid: string;
  apps: number;
  instances: number;
  memory_mb: number;
  routes: number;
  policies: number;
  env_bytes: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface PackagesTable {
  digest: string;
  size: number;
  created_at: string;
}

export interface PackageUploadsTable {
  id: string;
  started_at: string;
}

export interface PackageChunksTable {
  /** A package's digest, or the id of the upload still writing it. */
  owner: string;
  seq: number;
  data: Buffer;
}

export interface CertificateAuthorityTable {
  id: number;
  cert_pem: string;
  /** The CA's private key, sealed with the operator's seal key. */
  sealed_key: string;
  created_at: string;
}

export interface IssuedCertificatesTable {
  instance_guid: string;
  /** c2c (served on 61443) or identity (presented as a client). */
  kind: string;
  /** JSON array of the subject alternative names. */
  names: string;
  serial: string;
  not_before: string;
  not_after: string;
}

export interface Database {
  orgs: OrgsTable;
  spaces: SpacesTable;
  apps: AppsTable;
  domains: DomainsTable;
  routes: RoutesTable;
  route_mappings: RouteMappingsTable;
  policies: PoliciesTable;
  instances: InstancesTable;
  cells: CellsTable;
  tokens: TokensTable;
  token_spaces: TokenSpacesTable;
  changes: ChangesTable;
  events: EventsTable;
  settings: SettingsTable;
  space_quotas: SpaceQuotasTable;
  packages: PackagesTable;
  package_uploads: PackageUploadsTable;
  package_chunks: PackageChunksTable;
  certificate_authority: CertificateAuthorityTable;
  issued_certificates: IssuedCertificatesTable;
}
