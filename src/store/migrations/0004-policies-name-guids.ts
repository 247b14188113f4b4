// A policy names its apps by GUID, as Cloud Foundry's policy server does, without a foreign key: an
// admin may write policies for GUIDs that are no app (a restored dump, a script ahead of its pushes).
// Cells allow nothing for a GUID they do not know; deleting an app deletes its policies
// (src/store/apps.ts), and the policy cleanup removes the rest (src/store/policies.ts).
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    const keys = await sql<{ conname: string }>`select conname from pg_constraint
      where conrelid = 'policies'::regclass and contype = 'f'`.execute(db);
    for (const { conname } of keys.rows) {
      await sql`alter table policies drop constraint ${sql.id(conname)}`.execute(db);
    }
    return;
  }
  // SQLite cannot drop a constraint: the table is built anew without them, with its rows and index.
  await db.schema
    .createTable('policies_by_guid')
    .addColumn('source_app_guid', 'text', (c) => c.notNull())
    .addColumn('dest_app_guid', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('start_port', 'integer', (c) => c.notNull())
    .addColumn('end_port', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('policies_pk', [
      'source_app_guid',
      'dest_app_guid',
      'protocol',
      'start_port',
      'end_port',
    ])
    .execute();
  await sql`insert into policies_by_guid (source_app_guid, dest_app_guid, protocol, start_port, end_port)
    select source_app_guid, dest_app_guid, protocol, start_port, end_port from policies`.execute(db);
  await db.schema.dropTable('policies').execute();
  await db.schema.alterTable('policies_by_guid').renameTo('policies').execute();
  await db.schema.createIndex('policies_dest').on('policies').column('dest_app_guid').execute();
}
