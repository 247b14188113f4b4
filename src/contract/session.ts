// `weft ssh` and `weft logs` sessions: what the CLI asks the API for, and what the control plane asks a
// cell to open. The cell dials back to the API with the session's one-time secret (see src/api/sessions.ts).
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Guid } from './api.js';

/** The HTTP Upgrade token of a session: after 101, both sides speak frames.ts. */
export const SESSION_PROTOCOL = 'weft-session';
/** Where the cell presents the session's secret when it dials back. */
export const SECRET_HEADER = 'x-weft-session-secret';

const Term = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._+-]+$' });
const Columns = Type.Integer({ minimum: 1, maximum: 1000 });

export const SshQuery = Closed({
  /** Runs `/bin/sh -c COMMAND` instead of an interactive shell. */
  command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
  /** Under a pseudo-terminal, sized as the caller's (set once, at the start). */
  tty: Type.Optional(Type.Boolean()),
  term: Type.Optional(Term),
  cols: Type.Optional(Columns),
  rows: Type.Optional(Columns),
});
export type SshQuery = Static<typeof SshQuery>;

export const LogsQuery = Closed({ recent: Type.Optional(Type.Boolean()) });

export const SshParams = Closed({ guid: Guid, index: Type.Integer({ minimum: 0, maximum: 999 }) });

export const SessionRequest = Type.Union([
  Closed({
    kind: Type.Literal('ssh'),
    instanceGuid: Guid,
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    tty: Type.Boolean(),
    term: Term,
    cols: Columns,
    rows: Columns,
  }),
  Closed({ kind: Type.Literal('logs'), appGuid: Guid, recent: Type.Boolean() }),
]);
export type SessionRequest = Static<typeof SessionRequest>;

/** A session's secret: 32 random bytes, base64url. */
export const SessionSecret = Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$' });
