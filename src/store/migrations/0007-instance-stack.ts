// The root filesystem stack (name and version) an instance's container runs on, as its cell reports it;
// null until the cell has started the container, and for instances an outside runtime started.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('stack', 'text').execute();
}
