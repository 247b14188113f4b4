// What the CA last issued to each instance (names, serial, validity; never a key), so that every server
// sharing the database shows the same certificates, and a restart forgets none. Rows go with their instance.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('issued_certificates')
    .addColumn('instance_guid', 'text', (c) => c.notNull().references('instances.guid').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('names', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('issued_certificates_pk', ['instance_guid', 'kind'])
    .execute();
}
