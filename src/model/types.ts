// The platform's resources as the control plane stores them and cells see them on the change stream.

export type Protocol = 'tcp' | 'udp';
export type AppState = 'STARTED' | 'STOPPED';
export type InstanceState = 'STARTING' | 'RUNNING' | 'CRASHED' | 'STOPPED';

export interface Org {
  guid: string;
  name: string;
}

export interface Space {
  guid: string;
  name: string;
  orgGuid: string;
}

export interface App {
  guid: string;
  name: string;
  spaceGuid: string;
  command: string;
  path: string;
  instances: number;
  memoryMb: number;
  env: Record<string, string>;
  ports: number[];
  state: AppState;
  /** Small integer naming the app in the kernel's policy sets (Cloud Foundry's policy tag). */
  tag: number;
  /** Mutual TLS required on 61443 for callers of this app. */
  mtls: boolean;
}

/** An app as the change stream carries it: no env, which a cell asks for per instance placed on it. */
export type StreamApp = Omit<App, 'env'>;

export interface Domain {
  guid: string;
  name: string;
  internal: boolean;
}

export interface Route {
  guid: string;
  host: string;
  domainGuid: string;
  /** The space that created the route and alone maps apps to it; null for routes older than that rule. */
  spaceGuid: string | null;
  appGuids: string[];
}

export interface Policy {
  sourceAppGuid: string;
  destAppGuid: string;
  protocol: Protocol;
  startPort: number;
  endPort: number;
}

/** One running copy of an app: placed on a cell by the control plane, reported on by that cell. */
export interface Instance {
  guid: string;
  appGuid: string;
  index: number;
  cellId: string;
  state: InstanceState;
  ip: string | null;
  since: string;
}

export interface Cell {
  id: string;
  hostIp: string;
  subnet: string;
}

/** Everything a cell needs to compute what its kernel, DNS and proxy should hold. */
export interface Snapshot {
  revision: number;
  overlayCidr: string;
  orgs: Org[];
  spaces: Space[];
  apps: StreamApp[];
  domains: Domain[];
  routes: Route[];
  policies: Policy[];
  instances: Instance[];
  cells: Cell[];
}

export type ResourceKind = 'org' | 'space' | 'app' | 'domain' | 'route' | 'policy' | 'instance' | 'cell';

/** Kinds the change log records for the control plane's own servers and never sends to followers. */
export type InternalKind = 'token';

/** One entry of the change stream: a resource put (created or updated) or deleted at a revision. */
export interface Change {
  revision: number;
  kind: ResourceKind;
  op: 'put' | 'delete';
  key: string;
  object: Org | Space | StreamApp | Domain | Route | Policy | Instance | Cell | null;
}

/** A change as the log holds it; only those of a ResourceKind are sent to followers. */
export interface LoggedChange extends Omit<Change, 'kind'> {
  kind: ResourceKind | InternalKind;
}

export function isFollowerChange(c: LoggedChange): c is Change {
  return c.kind !== 'token';
}

export function policyKey(p: Policy): string {
  return `${p.sourceAppGuid}>${p.destAppGuid}/${p.protocol}/${p.startPort}-${p.endPort}`;
}
