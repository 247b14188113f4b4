// The platform's resources as they cross a process boundary: API answers, the change stream, a cell's
// saved state. One TypeBox schema each, and its type (Static) is the type the code uses.
import { Type, type Static } from '@sinclair/typebox';

export const Protocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);
export type Protocol = Static<typeof Protocol>;
export const AppState = Type.Union([Type.Literal('STARTED'), Type.Literal('STOPPED')]);
export type AppState = Static<typeof AppState>;
export const InstanceState = Type.Union([
  Type.Literal('STARTING'),
  Type.Literal('RUNNING'),
  Type.Literal('CRASHED'),
  Type.Literal('STOPPED'),
]);
export type InstanceState = Static<typeof InstanceState>;

const Guid = Type.String({ minLength: 1, maxLength: 64 });

export const Org = Type.Object({ guid: Guid, name: Type.String() });
export type Org = Static<typeof Org>;

export const Space = Type.Object({ guid: Guid, name: Type.String(), orgGuid: Guid });
export type Space = Static<typeof Space>;

const appFields = {
  guid: Guid,
  name: Type.String(),
  spaceGuid: Guid,
  command: Type.String(),
  /** SHA-256 (hex) of the app's package, its bits; null until they are pushed. */
  packageDigest: Type.Union([Type.String({ pattern: '^[0-9a-f]{64}$' }), Type.Null()]),
  /** The package's size in bytes, compressed. */
  packageSize: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  instances: Type.Integer({ minimum: 0 }),
  memoryMb: Type.Integer({ minimum: 0 }),
  ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 })),
  state: AppState,
  /** Small integer naming the app in the kernel's policy sets (Cloud Foundry's policy tag). */
  tag: Type.Integer({ minimum: 1, maximum: 0xffff }),
  /** Mutual TLS required on 61443 for callers of this app. */
  mtls: Type.Boolean(),
};

export const Env = Type.Record(Type.String(), Type.String());
export type Env = Static<typeof Env>;

export const App = Type.Object({ ...appFields, env: Env });
export type App = Static<typeof App>;

/** An app as the change stream carries it: no env, which a cell asks for per instance placed on it. */
export const StreamApp = Type.Object(appFields);
export type StreamApp = Static<typeof StreamApp>;

export const Domain = Type.Object({ guid: Guid, name: Type.String(), internal: Type.Boolean() });
export type Domain = Static<typeof Domain>;

export const Route = Type.Object({
  guid: Guid,
  host: Type.String(),
  domainGuid: Guid,
  /** The space that created the route and alone maps apps to it; null for routes older than that rule. */
  spaceGuid: Type.Union([Guid, Type.Null()]),
  appGuids: Type.Array(Guid),
});
export type Route = Static<typeof Route>;

export const Policy = Type.Object({
  sourceAppGuid: Guid,
  destAppGuid: Guid,
  protocol: Protocol,
  startPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  endPort: Type.Integer({ minimum: 1, maximum: 65535 }),
});
export type Policy = Static<typeof Policy>;

/** One running copy of an app: placed on a cell by the control plane, reported on by that cell. */
/** A stack's name and version, e.g. "weftlinux-bookworm 2026.11.27-dbed97a4". */
export const StackLabel = Type.String({
  pattern: '^[a-z0-9][a-z0-9.-]{0,62} [0-9A-Za-z][0-9A-Za-z.+-]{0,62}$',
  maxLength: 127,
});

export const Instance = Type.Object({
  guid: Guid,
  appGuid: Guid,
  index: Type.Integer({ minimum: 0 }),
  cellId: Type.String(),
  state: InstanceState,
  ip: Type.Union([Type.String({ format: 'ipv4' }), Type.Null()]),
  since: Type.String(),
  /** Started by an outside runtime through the weft-cni plugin; placement leaves it alone. */
  external: Type.Optional(Type.Literal(true)),
  /** The root filesystem stack its container runs on, once its cell has said. */
  stack: Type.Optional(StackLabel),
});
export type Instance = Static<typeof Instance>;

export const Cell = Type.Object({
  id: Type.String(),
  hostIp: Type.String({ format: 'ipv4' }),
  subnet: Type.String(),
});
export type Cell = Static<typeof Cell>;
