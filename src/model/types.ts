// The platform's resources as the control plane stores them and cells see them on the change stream.
// Their shapes are the wire contract's (src/contract/resources.ts); what follows is built from them.
import type { Policy } from '../contract/resources.js';
import type { Change } from '../contract/stream.js';

export type {
  App,
  AppState,
  Cell,
  Domain,
  Instance,
  InstanceState,
  Org,
  Policy,
  Protocol,
  Route,
  Space,
  StreamApp,
} from '../contract/resources.js';

export type { Change, ResourceKind, Snapshot } from '../contract/stream.js';

/** Kinds the change log records for the control plane's own servers and never sends to followers. */
export type InternalKind = 'token';

/** A change as the log holds it; only those of a ResourceKind are sent to followers. */
export interface LoggedChange extends Omit<Change, 'kind'> {
  kind: Change['kind'] | InternalKind;
}

export function isFollowerChange(c: LoggedChange): c is Change {
  return c.kind !== 'token';
}

export function policyKey(p: Policy): string {
  return `${p.sourceAppGuid}>${p.destAppGuid}/${p.protocol}/${p.startPort}-${p.endPort}`;
}
