// Request and response shapes of weft's own /v1 resources. Every request shape is closed: a field
// it does not list is refused, never stored and never silently dropped.
import { Type, type TProperties } from '@sinclair/typebox';

/** An object that admits exactly the listed properties. */
export const Closed = <T extends TProperties>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const Guid = Type.String({ minLength: 1, maxLength: 64 });
export const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
export const CellId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
export const ErrorBody = Type.Object({ error: Type.String() });
export const GuidParams = Closed({ guid: Guid });

export const Org = Type.Object({ guid: Guid, name: Type.String() });
export const Space = Type.Object({ guid: Guid, name: Type.String(), orgGuid: Guid });

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
/** Names are checked where apps are written (store/apps.ts), so a bad one is refused with a reason. */
export const MAX_ENV_VARIABLES = 256;
const Env = Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 65536 }), {
  maxProperties: MAX_ENV_VARIABLES,
});
const State = Type.Union([Type.Literal('STARTED'), Type.Literal('STOPPED')]);
const Command = Type.String({ minLength: 1, maxLength: 4096 });
const AppPath = Type.String({ minLength: 1, maxLength: 4096 });
const InstanceCount = Type.Integer({ minimum: 0, maximum: 1000 });
const MemoryMb = Type.Integer({ minimum: 16, maximum: 65536 });
const Ports = Type.Array(Port, { minItems: 1, maxItems: 10 });

export const App = Type.Object({
  guid: Guid,
  name: Type.String(),
  spaceGuid: Guid,
  command: Type.String(),
  path: Type.String(),
  instances: Type.Integer(),
  memoryMb: Type.Integer(),
  env: Type.Record(Type.String(), Type.String()),
  ports: Type.Array(Type.Integer()),
  state: State,
  tag: Type.Integer(),
  mtls: Type.Boolean(),
});

/** What a push may say of an app; the platform picks its GUID and tag. */
export const AppCreate = Closed({
  name: Name,
  spaceGuid: Guid,
  command: Command,
  path: AppPath,
  instances: Type.Optional(InstanceCount),
  memoryMb: Type.Optional(MemoryMb),
  env: Type.Optional(Env),
  ports: Type.Optional(Ports),
  state: Type.Optional(State),
});

/** What a developer may change of an app: never its name, space, GUID or tag. */
export const AppPatch = Closed({
  command: Type.Optional(Command),
  path: Type.Optional(AppPath),
  instances: Type.Optional(InstanceCount),
  memoryMb: Type.Optional(MemoryMb),
  env: Type.Optional(Env),
  ports: Type.Optional(Ports),
  state: Type.Optional(State),
  mtls: Type.Optional(Type.Boolean()),
});

export const Instance = Type.Object({
  guid: Guid,
  appGuid: Guid,
  index: Type.Integer(),
  cellId: Type.String(),
  state: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  since: Type.String(),
});

export const Domain = Type.Object({ guid: Guid, name: Type.String(), internal: Type.Boolean() });
export const Route = Type.Object({
  guid: Guid,
  host: Type.String(),
  domainGuid: Guid,
  spaceGuid: Type.Union([Guid, Type.Null()]),
  appGuids: Type.Array(Guid),
});
export const Cell = Type.Object({ id: Type.String(), hostIp: Type.String(), subnet: Type.String() });
