// A write transaction: every change it makes is recorded on the change stream and in the audit log
// in the same commit, so neither can disagree with the data.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Change, InternalKind, LoggedChange, ResourceKind } from '../model/types.js';

export class Writer {
  readonly changes: Omit<LoggedChange, 'revision'>[] = [];

  constructor(
    readonly trx: Transaction<Database>,
    readonly actor: string,
  ) {}

  async put(kind: ResourceKind, key: string, object: Change['object']): Promise<void> {
    await this.record({ kind, op: 'put', key, object });
  }

  async delete(kind: ResourceKind | InternalKind, key: string): Promise<void> {
    await this.record({ kind, op: 'delete', key, object: null });
  }

  /** Puts many objects of one kind in a few statements, so a write of 100k policies stays quick. */
  async putAll(kind: ResourceKind, entries: [string, Change['object']][]): Promise<void> {
    await this.recordAll(entries.map(([key, object]) => ({ kind, op: 'put', key, object })));
  }

  async deleteAll(kind: ResourceKind, keys: string[]): Promise<void> {
    await this.recordAll(keys.map((key) => ({ kind, op: 'delete', key, object: null })));
  }

  async audit(action: string, target: string, before: unknown, after: unknown): Promise<void> {
    await this.trx
      .insertInto('events')
      .values({
        at: new Date().toISOString(),
        actor: this.actor,
        action,
        target,
        before: before === undefined || before === null ? null : JSON.stringify(before),
        after: after === undefined || after === null ? null : JSON.stringify(after),
      })
      .execute();
  }

  private async record(change: Omit<LoggedChange, 'revision'>): Promise<void> {
    await this.recordAll([change]);
  }

  private async recordAll(changes: Omit<LoggedChange, 'revision'>[]): Promise<void> {
    for (const chunk of chunks(changes, ROWS_PER_INSERT)) {
      this.changes.push(...chunk);
      await this.trx
        .insertInto('changes')
        .values(
          chunk.map((c) => ({
            kind: c.kind,
            op: c.op,
            key: c.key,
            object: c.object === null ? null : JSON.stringify(c.object),
          })),
        )
        .execute();
    }
  }
}

/** Rows per multi-row statement: well inside both databases' limits on bound parameters. */
export const ROWS_PER_INSERT = 500;

/** GUIDs per `in (…)` list, for the same reason. */
export const GUIDS_PER_QUERY = 1000;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type Db = Kysely<Database> | Transaction<Database>;
