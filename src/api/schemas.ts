// Request and response shapes of weft's own /v1 resources.
import { Type } from '@sinclair/typebox';

export const Guid = Type.String({ minLength: 1, maxLength: 64 });
export const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
export const CellId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
export const ErrorBody = Type.Object({ error: Type.String() });
export const GuidParams = Type.Object({ guid: Guid });

export const Org = Type.Object({ guid: Guid, name: Type.String() });
export const Space = Type.Object({ guid: Guid, name: Type.String(), orgGuid: Guid });

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
// Names are checked where apps are written (store/apps.ts), so a bad one is refused with a reason.
const Env = Type.Record(Type.String(), Type.String({ maxLength: 65536 }));
const State = Type.Union([Type.Literal('STARTED'), Type.Literal('STOPPED')]);

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

export const AppCreate = Type.Object({
  name: Name,
  spaceGuid: Guid,
  command: Type.String({ minLength: 1, maxLength: 4096 }),
  path: Type.String({ minLength: 1, maxLength: 4096 }),
  instances: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  memoryMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 65536 })),
  env: Type.Optional(Env),
  ports: Type.Optional(Type.Array(Port, { minItems: 1, maxItems: 10 })),
  state: Type.Optional(State),
});

export const AppPatch = Type.Object({
  command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  path: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  instances: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  memoryMb: Type.Optional(Type.Integer({ minimum: 16, maximum: 65536 })),
  env: Type.Optional(Env),
  ports: Type.Optional(Type.Array(Port, { minItems: 1, maxItems: 10 })),
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
  appGuids: Type.Array(Guid),
});
export const Cell = Type.Object({ id: Type.String(), hostIp: Type.String(), subnet: Type.String() });
