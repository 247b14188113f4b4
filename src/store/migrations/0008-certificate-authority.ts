// The platform CA in the database, so that every weft server sharing it signs with the same CA. One row
// at most (id 1): servers starting at once on an empty database race to insert it and all keep the one
// that won. The private key is stored sealed (src/ca/seal.ts), never in the clear.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('certificate_authority')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('cert_pem', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
