// A cell's copy of the control plane's state, kept current from the change stream.
import {
  policyKey,
  type Cell,
  type Change,
  type Domain,
  type Instance,
  type Org,
  type Policy,
  type ResourceKind,
  type Route,
  type Snapshot,
  type Space,
  type StreamApp,
} from '../model/types.js';

interface Tables {
  org: Map<string, Org>;
  space: Map<string, Space>;
  app: Map<string, StreamApp>;
  domain: Map<string, Domain>;
  route: Map<string, Route>;
  policy: Map<string, Policy>;
  instance: Map<string, Instance>;
  cell: Map<string, Cell>;
}

export class World {
  revision: number;
  overlayCidr: string;
  readonly tables: Tables;

  constructor(snapshot: Snapshot) {
    this.revision = snapshot.revision;
    this.overlayCidr = snapshot.overlayCidr;
    const byGuid = <T extends { guid: string }>(xs: T[]) => new Map(xs.map((x) => [x.guid, x]));
    this.tables = {
      org: byGuid(snapshot.orgs),
      space: byGuid(snapshot.spaces),
      app: byGuid(snapshot.apps),
      domain: byGuid(snapshot.domains),
      route: byGuid(snapshot.routes),
      policy: new Map(snapshot.policies.map((p) => [policyKey(p), p])),
      instance: byGuid(snapshot.instances),
      cell: new Map(snapshot.cells.map((c) => [c.id, c])),
    };
  }

  /** Applies one change; returns false for one already seen (a replay after reconnecting). */
  apply(change: Change): boolean {
    if (change.revision <= this.revision) return false;
    const table = this.tables[change.kind] as Map<string, unknown>;
    if (change.op === 'delete') table.delete(change.key);
    else table.set(change.key, change.object);
    this.revision = change.revision;
    return true;
  }

  toSnapshot(): Snapshot {
    const t = this.tables;
    return {
      revision: this.revision,
      overlayCidr: this.overlayCidr,
      orgs: [...t.org.values()],
      spaces: [...t.space.values()],
      apps: [...t.app.values()],
      domains: [...t.domain.values()],
      routes: [...t.route.values()],
      policies: [...t.policy.values()],
      instances: [...t.instance.values()],
      cells: [...t.cell.values()],
    };
  }
}

/** Which parts of the cell a change of this kind can affect. */
export function affects(kind: ResourceKind): {
  kernel: boolean;
  dns: boolean;
  instances: boolean;
  certs: boolean;
  overlay: boolean;
} {
  return {
    overlay: kind === 'cell',
    kernel: kind === 'policy' || kind === 'instance' || kind === 'app' || kind === 'cell',
    dns: kind === 'route' || kind === 'instance' || kind === 'app' || kind === 'domain',
    instances: kind === 'instance' || kind === 'app',
    certs: kind === 'route' || kind === 'domain' || kind === 'app' || kind === 'instance',
  };
}
