// Whether a cell's word still counts: one declared lost must register again before it does.
import { conflict, notFound } from '../model/errors.js';
import type { Db } from './writer.js';

/** Refuses a cell declared lost (409) or not registered (404): its word no longer counts. */
export async function requireAliveCell(db: Db, id: string): Promise<void> {
  const cell = await db
    .selectFrom('cells')
    .select(['state', 'lost_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!cell) throw notFound(`cell ${id} is not registered: register it again`);
  if (cell.state === 'lost') {
    throw conflict(`cell ${id} was declared lost at ${cell.lost_at ?? '?'}: register it again`);
  }
}
