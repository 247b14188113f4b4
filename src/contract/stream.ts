// What the change stream (GET /v1/watch) sends: one JSON message per line. A snapshot comes in pieces
// (start, items of one kind at a time, end) so no line grows with the size of the platform. A follower
// checks every line against StreamMessage before it believes it.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Guid } from './api.js';
import { parsed } from './check.js';
import { CellQuestion } from './inspect.js';
import { SessionRequest, SessionSecret } from './session.js';
import { Cell, Domain, Instance, Org, Policy, Route, Space, StreamApp } from './resources.js';

const RESOURCES = {
  org: Org,
  space: Space,
  app: StreamApp,
  domain: Domain,
  route: Route,
  policy: Policy,
  instance: Instance,
  cell: Cell,
} as const;

export type ResourceKind = keyof typeof RESOURCES;

const changeOf = <K extends ResourceKind>(kind: K, object: (typeof RESOURCES)[K]) =>
  Type.Union([
    Type.Object({
      revision: Type.Integer({ minimum: 1 }),
      kind: Type.Literal(kind),
      op: Type.Literal('put'),
      key: Type.String(),
      object,
    }),
    Type.Object({
      revision: Type.Integer({ minimum: 1 }),
      kind: Type.Literal(kind),
      op: Type.Literal('delete'),
      key: Type.String(),
      object: Type.Null(),
    }),
  ]);

/** One entry of the change stream: a resource put (created or updated) or deleted at a revision. */
export const Change = Type.Union(
  (Object.keys(RESOURCES) as ResourceKind[]).map((k) => changeOf(k, RESOURCES[k]) as TSchema),
);
/** The schema pairs each kind with its own object; code that builds changes uses this looser shape. */
export interface Change {
  revision: number;
  kind: ResourceKind;
  op: 'put' | 'delete';
  key: string;
  object: Static<(typeof RESOURCES)[ResourceKind]> | null;
}

const TABLES = {
  orgs: Org,
  spaces: Space,
  apps: StreamApp,
  domains: Domain,
  routes: Route,
  policies: Policy,
  instances: Instance,
  cells: Cell,
} as const;

export type SnapshotKind = keyof typeof TABLES;
export const SNAPSHOT_KINDS = Object.keys(TABLES) as SnapshotKind[];

/** Everything a cell needs to compute what its kernel, DNS and proxy should hold. */
export const Snapshot = Type.Object({
  revision: Type.Integer({ minimum: 0 }),
  overlayCidr: Type.String(),
  ...Object.fromEntries(SNAPSHOT_KINDS.map((k) => [k, Type.Array(TABLES[k])])),
});
export type Snapshot = { revision: number; overlayCidr: string } & {
  [K in SnapshotKind]: Static<(typeof TABLES)[K]>[];
};

/** The resource lists of a snapshot, by the name each has in it. */
export type SnapshotTables = Omit<Snapshot, 'revision' | 'overlayCidr'>;

const SnapshotItemsSchema = Type.Union(
  SNAPSHOT_KINDS.map((k) =>
    Type.Object({
      type: Type.Literal('snapshot-items'),
      kind: Type.Literal(k),
      items: Type.Array(TABLES[k]),
    }),
  ),
);
export type SnapshotItems = {
  [K in SnapshotKind]: { type: 'snapshot-items'; kind: K; items: SnapshotTables[K] };
}[SnapshotKind];

export const StreamMessage = Type.Union([
  Type.Object({ type: Type.Literal('snapshot-start'), revision: Type.Integer(), overlayCidr: Type.String() }),
  SnapshotItemsSchema,
  Type.Object({ type: Type.Literal('snapshot-end'), revision: Type.Integer() }),
  Type.Object({ type: Type.Literal('change'), change: Change }),
  Type.Object({ type: Type.Literal('heartbeat'), revision: Type.Integer() }),
  Type.Object({ type: Type.Literal('question'), id: Guid, question: CellQuestion }),
  Type.Object({
    type: Type.Literal('session'),
    id: Guid,
    secret: SessionSecret,
    request: SessionRequest,
  }),
]);
export type StreamMessage =
  | { type: 'snapshot-start'; revision: number; overlayCidr: string }
  | SnapshotItems
  | { type: 'snapshot-end'; revision: number }
  | { type: 'change'; change: Change }
  | { type: 'heartbeat'; revision: number }
  /** For this cell only, not part of the change log: answered with POST /v1/cells/:id/answers/:id. */
  | { type: 'question'; id: string; question: CellQuestion }
  /** For this cell only: dial back to GET /v1/cells/:id/sessions/:id with the secret and serve the request. */
  | { type: 'session'; id: string; secret: string; request: SessionRequest };

/** One line of the stream, checked: the schema pairs each change's kind with its object's shape. */
export function parseStreamLine(line: string): StreamMessage {
  return parsed(StreamMessage, line, 'change stream') as StreamMessage;
}

/** The server fills a snapshot piece up to this many bytes; an item larger than that goes alone. */
export const SNAPSHOT_PIECE_BYTES = 256 * 1024;

/**
 * No line of the stream is longer, and a follower refuses one that is: snapshot pieces stay near
 * SNAPSHOT_PIECE_BYTES, and a change carries one resource, which the API's body limit (1 MiB by default)
 * and quotas keep well below this.
 */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;
