// Request and response shapes of weft's own /v1 resources, shared by the server, the CLI and the cell.
// Every request shape is closed: a field it does not list is refused, never stored nor silently dropped.
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { checked } from './check.js';
import { Env as AnyEnv, StackLabel } from './resources.js';
import { MAX_APP_PORTS } from '../model/ports.js';

export { App, Cell, Domain, Instance, Org, Route, Space } from './resources.js';

/** An object that admits exactly the listed properties. */
export const Closed = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const Guid = Type.String({ minLength: 1, maxLength: 64 });
export const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
export const CellId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
const ErrorBody = Type.Object({ error: Type.String() });

/** The server's own words from a failed answer's body: its `error`, or the text when it is not ours. */
export function errorMessage(text: string): string | undefined {
  try {
    return checked(ErrorBody, JSON.parse(text), 'error').error;
  } catch {
    return text.trim() === '' ? undefined : text.trim();
  }
}
export const GuidParams = Closed({ guid: Guid });

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
/** Names are checked where apps are written (store/apps.ts), so a bad one is refused with a reason. */
const MAX_ENV_VARIABLES = 256;
const Env = Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 65536 }), {
  maxProperties: MAX_ENV_VARIABLES,
});
const State = Type.Union([Type.Literal('STARTED'), Type.Literal('STOPPED')]);
const Command = Type.String({ minLength: 1, maxLength: 4096 });
const InstanceCount = Type.Integer({ minimum: 0, maximum: 1000 });
const MemoryMb = Type.Integer({ minimum: 16, maximum: 65536 });
const Ports = Type.Array(Port, { minItems: 1, maxItems: MAX_APP_PORTS });

/** What a push may say of an app; the platform picks its GUID and tag. */
export const AppCreate = Closed({
  name: Name,
  spaceGuid: Guid,
  command: Command,
  instances: Type.Optional(InstanceCount),
  memoryMb: Type.Optional(MemoryMb),
  env: Type.Optional(Env),
  ports: Type.Optional(Ports),
  state: Type.Optional(State),
});

/** What a developer may change of an app: never its name, space, GUID or tag. */
export const AppPatch = Closed({
  command: Type.Optional(Command),
  instances: Type.Optional(InstanceCount),
  memoryMb: Type.Optional(MemoryMb),
  env: Type.Optional(Env),
  ports: Type.Optional(Ports),
  state: Type.Optional(State),
  mtls: Type.Optional(Type.Boolean()),
});

export type AppCreate = Static<typeof AppCreate>;
export type AppPatch = Static<typeof AppPatch>;

/** Who the caller is, and what the platform is. */
export const Info = Type.Object({
  name: Type.String(),
  overlayCidr: Type.Union([Type.String(), Type.Null()]),
  unproxiedPortMappings: Type.Boolean(),
  maxPoliciesPerApp: Type.Integer(),
  /** The largest package (compressed) an upload may carry. */
  maxPackageBytes: Type.Integer(),
  revision: Type.Integer(),
  you: Type.Object({
    name: Type.String(),
    role: Type.String(),
    spaceGuids: Type.Array(Guid),
    cellId: Type.Union([Type.String(), Type.Null()]),
    expiresAt: Type.Union([Type.String(), Type.Null()]),
  }),
});
export type Info = Static<typeof Info>;

export const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('space_developer'),
  Type.Literal('cell'),
]);

export const TokenCreate = Closed({
  name: Type.String({ minLength: 1, maxLength: 128 }),
  role: Role,
  spaceGuids: Type.Optional(Type.Array(Guid, { maxItems: 1000 })),
  cellId: Type.Optional(CellId),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type TokenCreate = Static<typeof TokenCreate>;

const tokenFields = {
  tokenId: Guid,
  name: Type.String(),
  role: Role,
  spaceGuids: Type.Array(Guid),
  cellId: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
};
export const TokenInfo = Type.Object({ ...tokenFields, createdAt: Type.String() });
export type TokenInfo = Static<typeof TokenInfo>;
/** The token itself is in this answer only, once. */
export const CreatedToken = Type.Object({ ...tokenFields, token: Type.String() });
export type CreatedToken = Static<typeof CreatedToken>;

export const AuditEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
});
export type AuditEvent = Static<typeof AuditEvent>;

export const Quota = Type.Object({
  apps: Type.Integer(),
  /** The sum of the apps' instance counts. */
  instances: Type.Integer(),
  /** The sum over the apps of instances × memory. */
  memoryMb: Type.Integer(),
  /** Routes the space owns. */
  routes: Type.Integer(),
  /** Policies whose source app is in the space. */
  policies: Type.Integer(),
  /** The JSON size of one app's env; as usage, that of the space's largest. */
  envBytes: Type.Integer(),
});
export type Quota = Static<typeof Quota>;

const Count = (maximum: number) => Type.Integer({ minimum: 0, maximum });
/** Bounds keep every sum within a 32-bit column and every size within what a request can carry. */
export const QuotaPatch = Closed({
  apps: Type.Optional(Count(65_535)),
  instances: Type.Optional(Count(1_000_000)),
  memoryMb: Type.Optional(Count(1_000_000_000)),
  routes: Type.Optional(Count(1_000_000)),
  policies: Type.Optional(Count(10_000_000)),
  envBytes: Type.Optional(Count(1024 * 1024)),
});

export const SpaceView = Type.Object({
  guid: Guid,
  name: Type.String(),
  org: Type.Object({ guid: Guid, name: Type.String() }),
  quota: Quota,
  usage: Quota,
});
export type SpaceView = Static<typeof SpaceView>;

/** A cell's word on an instance placed on it. */
export const InstanceReport = Closed({
  state: Type.Union([Type.Literal('STARTING'), Type.Literal('RUNNING'), Type.Literal('CRASHED')]),
  ip: Type.Union([Type.String({ format: 'ipv4' }), Type.Null()]),
  /** The stack the cell runs the instance's container on; absent leaves what was reported before. */
  stack: Type.Optional(StackLabel),
});
export type InstanceReport = Static<typeof InstanceReport>;

/** A cell's heartbeat, with its load: the instances it runs now. */
export const CellPresence = Closed({
  running: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  /** The change-stream revision the cell has applied; optional, so cells of an older build still beat. */
  revision: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type CellPresence = Static<typeof CellPresence>;

/** A cell as operators see it (`weft cells`): its lease, presence and load. */
export const CellStatus = Closed({
  id: Type.String(),
  hostIp: Type.String({ format: 'ipv4' }),
  subnet: Type.String(),
  state: Type.Union([Type.Literal('alive'), Type.Literal('lost')]),
  /** When its last heartbeat arrived; null before the first. */
  lastSeen: Type.Union([Type.String(), Type.Null()]),
  lostAt: Type.Union([Type.String(), Type.Null()]),
  /** Instances placed on it. */
  instances: Type.Integer(),
  /** Instances it said it runs, in its last heartbeat. */
  running: Type.Union([Type.Integer(), Type.Null()]),
  /** How many revisions the cell's last heartbeat was behind this server's stream; null before one said. */
  behind: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
});
export type CellStatus = Static<typeof CellStatus>;

export const CertificateRequest = Closed({
  kind: Type.Union([Type.Literal('c2c'), Type.Literal('identity')]),
  csr: Type.String({ minLength: 1, maxLength: 16384 }),
  ip: Type.String({ format: 'ipv4' }),
});
export type CertificateRequest = Static<typeof CertificateRequest>;

export const IssuedCertificate = Type.Object({
  certificate: Type.String(),
  ca: Type.String(),
  names: Type.Array(Type.String()),
});
export type IssuedCertificate = Static<typeof IssuedCertificate>;

export const InstanceEnv = Type.Object({ env: AnyEnv });
export const CaCertificate = Type.Object({ certificate: Type.String() });
export const Health = Type.Object({ ok: Type.Boolean() });
