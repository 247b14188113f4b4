// Instances a container runtime other than weft's own started (a podman container joining an app through
// the weft-cni plugin): placement never stops or replaces them; their cell registers and removes them.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('instances')
    .addColumn('external', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
