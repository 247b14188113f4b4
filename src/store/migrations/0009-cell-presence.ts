// Cell presence: each cell's last heartbeat, the load and change-stream revision it reported, and whether the control plane
// has declared it lost. Cells registered before this have no heartbeat yet: they are not declared lost
// until they have sent one.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('cells')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('alive'))
    .execute();
  await db.schema.alterTable('cells').addColumn('last_seen', 'text').execute();
  await db.schema.alterTable('cells').addColumn('lost_at', 'text').execute();
  await db.schema.alterTable('cells').addColumn('running', 'integer').execute();
  await db.schema.alterTable('cells').addColumn('revision', 'integer').execute();
}
