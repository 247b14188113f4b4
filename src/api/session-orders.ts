// How a session order reaches its cell when several servers share PostgreSQL: the cell's change stream
// may be open on another server than the caller's. The order goes to the stream if it is open here;
// otherwise it is announced to every server (NOTIFY, never stored), and the one holding the cell's stream
// passes it on. The cell dials back to each server in turn until the one awaiting it answers.
import { sql } from 'kysely';
import { Type, type Static } from '@sinclair/typebox';
import { CellId, Closed, Guid } from '../contract/api.js';
import { parsed } from '../contract/check.js';
import { SessionRequest, SessionSecret } from '../contract/session.js';
import type { Store } from '../store/store.js';
import type { CellQuestions } from './cell-questions.js';
import type { Tell } from './sessions.js';

export const SESSION_CHANNEL = 'weft_sessions';

const Notice = Closed({
  cellId: CellId,
  order: Closed({ type: Type.Literal('session'), id: Guid, secret: SessionSecret, request: SessionRequest }),
});
type Notice = Static<typeof Notice>;

export function tellCell(store: Store, questions: CellQuestions): Tell {
  return async (cellId, order) => {
    if (questions.tell(cellId, order)) return true;
    if (store.dialect !== 'postgres') return false;
    const notice: Notice = { cellId, order };
    await sql`select pg_notify(${SESSION_CHANNEL}, ${JSON.stringify(notice)})`.execute(store.db);
    return true;
  };
}

/** Another server's announcement: passed on if the cell's stream is open here, dropped otherwise. */
export function hearNotice(questions: CellQuestions, payload: string): void {
  const { cellId, order } = parsed(Notice, payload, 'a session notice');
  questions.tell(cellId, order);
}
