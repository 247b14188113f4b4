// The change log: every committed change with its revision. Read in pages, so a write of any size
// reaches followers whole, and pruned to a bounded length.
import type { Kysely } from 'kysely';
import type { LoggedChange } from '../model/types.js';
import type { Database } from './schema.js';

/** Changes read per query: one page is held in memory at a time, however large a write was. */
const CHANGE_PAGE = 1000;
/** Followers further behind than this get a snapshot instead of the changes they missed. */
const KEEP_REVISIONS = 100_000;

export async function latestRevision(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('revision').as('rev'))
    .executeTakeFirst();
  return Number(row?.rev ?? 0);
}

export async function oldestRevision(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.min('revision').as('rev'))
    .executeTakeFirst();
  return Number(row?.rev ?? 0);
}

export async function changesSince(
  db: Kysely<Database>,
  revision: number,
  limit: number,
): Promise<LoggedChange[]> {
  const rows = await db
    .selectFrom('changes')
    .selectAll()
    .where('revision', '>', revision)
    .orderBy('revision')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    revision: Number(r.revision),
    kind: r.kind as LoggedChange['kind'],
    op: r.op as LoggedChange['op'],
    key: r.key,
    object: r.object === null ? null : (JSON.parse(r.object) as LoggedChange['object']),
  }));
}

/** Every change after `revision`, in order, a page at a time, until the log has no more. */
export async function* changePages(
  db: Kysely<Database>,
  revision: number,
  pageSize = CHANGE_PAGE,
): AsyncGenerator<LoggedChange[]> {
  let after = revision;
  for (;;) {
    const page = await changesSince(db, after, pageSize);
    const last = page.at(-1);
    if (last === undefined) return;
    yield page;
    if (page.length < pageSize) return;
    after = last.revision;
  }
}

/** Deletes all but the newest KEEP_REVISIONS revisions of the log. */
export async function pruneChanges(db: Kysely<Database>, latest: number): Promise<void> {
  await db
    .deleteFrom('changes')
    .where('revision', '<', latest - KEEP_REVISIONS)
    .execute();
}
