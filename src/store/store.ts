// The control plane's desired state. Every write runs in one serialised transaction that also
// appends to the change stream and the audit log, then wakes the change hub after commit.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Dialect } from './dialect.js';
import { pruneChanges } from './change-log.js';
import { ChangeHub } from './hub.js';
import { Writer } from './writer.js';

/**
 * A product rule checked inside every write, after its changes and before its commit (see w.changes);
 * throwing rolls the whole write back.
 */
export type Guard = (w: Writer) => Promise<void>;

// Any constant works: it only has to be the same in every weft server sharing the database.
const WRITE_LOCK = 0x77656674;
/** The PostgreSQL channel a commit is announced on, for the other servers sharing the database. */
export const COMMIT_CHANNEL = 'weft_changes';
const PRUNE_EVERY_MS = 60_000;

export class Store {
  readonly hub: ChangeHub;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    private readonly guards: readonly Guard[] = [],
  ) {
    this.hub = new ChangeHub(db);
  }

  async write<T>(actor: string, fn: (w: Writer) => Promise<T>): Promise<T> {
    const result = await this.db.transaction().execute(async (trx) => {
      if (this.dialect === 'postgres') {
        // Serialise writers so revisions commit in the order they were numbered: a follower
        // reading "everything after N" can then never skip a revision that commits late.
        await sql`select pg_advisory_xact_lock(${WRITE_LOCK})`.execute(trx);
      }
      const w = new Writer(trx, actor);
      const value = await fn(w);
      for (const guard of this.guards) await guard(w);
      if (this.dialect === 'postgres' && w.changes.length > 0) {
        await sql`select pg_notify(${COMMIT_CHANNEL}, '')`.execute(trx);
      }
      return value;
    });
    await this.hub.poke();
    return result;
  }

  /** Runs reads against one consistent view of the database. */
  async read<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') {
      return this.db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute((trx) => fn(trx));
    }
    return this.db.transaction().execute((trx) => fn(trx));
  }

  /** Throws unless the database answers a query. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Keeps the change log to a bounded length until the returned function is called. */
  pruneChangeLog(onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => {
      pruneChanges(this.db, this.hub.revision).catch(onError);
    }, PRUNE_EVERY_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
