// Fans committed changes out to followers of the change stream. Followers are told in revision
// order; a write's change reaches them as soon as its transaction commits.
import type { Kysely } from 'kysely';
import type { LoggedChange } from '../model/types.js';
import type { Database } from './schema.js';

export type Follower = (change: LoggedChange) => void;

export class ChangeHub {
  private followers = new Set<Follower>();
  private delivered = 0;
  private pumping: Promise<void> | null = null;
  private again = false;

  constructor(private readonly db: Kysely<Database>) {}

  async start(): Promise<void> {
    this.delivered = await latestRevision(this.db);
  }

  get revision(): number {
    return this.delivered;
  }

  follow(f: Follower): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** Reads what was committed since the last delivery and hands it to every follower. */
  poke(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      const fresh = await changesSince(this.db, this.delivered, 10_000);
      for (const c of fresh) {
        this.delivered = c.revision;
        for (const f of this.followers) f(c);
      }
    } while (this.again);
  }
}

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
