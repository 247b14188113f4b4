// App packages: an app's bits, uploaded by `weft push` and stored content-addressed in the database in
// chunks, so that every weft server sharing it serves them. Apps lose their host path: it named a
// directory on the cell's host, which any tenant could point at. Apps pushed before this migration have
// no package; their instances do not start until their bits are pushed again.
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('packages')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // An upload in progress, until its digest is known; a sweep removes those a crash left behind.
  await db.schema
    .createTable('package_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .execute();
  // Chunks belong to a package (by digest) or to an upload in progress (by its id).
  await db.schema
    .createTable('package_chunks')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('package_chunks_pk', ['owner', 'seq'])
    .execute();
  await db.schema.alterTable('apps').addColumn('package_digest', 'text').execute();
  await db.schema.alterTable('apps').addColumn('package_size', 'bigint').execute();
  await db.schema.alterTable('apps').dropColumn('path').execute();
  await db.schema.createIndex('apps_package').on('apps').column('package_digest').execute();
}
