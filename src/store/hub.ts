// Fans committed changes out to followers of the change stream. Followers are told in revision
// order; a write's change reaches them as soon as its transaction commits, however many it made.
import type { Kysely } from 'kysely';
import type { LoggedChange } from '../model/types.js';
import type { Database } from './schema.js';
import { changePages, latestRevision } from './change-log.js';

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
      for await (const page of changePages(this.db, this.delivered)) {
        for (const c of page) {
          this.delivered = c.revision;
          for (const f of this.followers) f(c);
        }
      }
    } while (this.again);
  }
}
