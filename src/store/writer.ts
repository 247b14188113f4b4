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
    this.changes.push(change);
    await this.trx
      .insertInto('changes')
      .values({
        kind: change.kind,
        op: change.op,
        key: change.key,
        object: change.object === null ? null : JSON.stringify(change.object),
      })
      .execute();
  }
}

export type Db = Kysely<Database> | Transaction<Database>;
