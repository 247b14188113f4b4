// App packages in the database: content-addressed by SHA-256, in chunks of about 1 MiB, so that neither
// the server storing nor the server serving a package holds it whole, and every server sharing the
// database serves every package. An upload writes its chunks under an upload id; once its digest is known
// they become the package's, or are dropped when that package is already stored (the same bits twice
// are stored once).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Db, Writer } from './writer.js';

export const CHUNK_BYTES = 1024 * 1024;
/** An upload older than this is one a crash or a lost connection left behind. */
const STALE_UPLOAD_MS = 60 * 60 * 1000;

export async function beginUpload(db: Kysely<Database>): Promise<string> {
  const id = `upload-${randomUUID()}`;
  await db.insertInto('package_uploads').values({ id, started_at: new Date().toISOString() }).execute();
  return id;
}

export async function putChunk(
  db: Kysely<Database>,
  owner: string,
  seq: number,
  data: Buffer,
): Promise<void> {
  await db.insertInto('package_chunks').values({ owner, seq, data }).execute();
}

export async function discardUpload(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('package_chunks').where('owner', '=', id).execute();
  await db.deleteFrom('package_uploads').where('id', '=', id).execute();
}

/** Makes the upload's chunks the package `digest`'s, unless that package is stored already. */
export async function finishUpload(w: Writer, id: string, digest: string, size: number): Promise<void> {
  const stored = await w.trx
    .selectFrom('packages')
    .select('digest')
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (stored) {
    await w.trx.deleteFrom('package_chunks').where('owner', '=', id).execute();
  } else {
    await w.trx.updateTable('package_chunks').set({ owner: digest }).where('owner', '=', id).execute();
    await w.trx
      .insertInto('packages')
      .values({ digest, size, created_at: new Date().toISOString() })
      .execute();
  }
  await w.trx.deleteFrom('package_uploads').where('id', '=', id).execute();
}

export async function packageSize(db: Db, digest: string): Promise<number | null> {
  const row = await db.selectFrom('packages').select('size').where('digest', '=', digest).executeTakeFirst();
  return row ? Number(row.size) : null;
}

/** One chunk of a stored package, or undefined past its end (or once it is gone). */
export async function readChunk(db: Db, digest: string, seq: number): Promise<Buffer | undefined> {
  const row = await db
    .selectFrom('package_chunks')
    .select('data')
    .where('owner', '=', digest)
    .where('seq', '=', seq)
    .executeTakeFirst();
  return row ? Buffer.from(row.data) : undefined;
}

/** Deletes the package if no app uses it any more. */
export async function collectPackage(w: Writer, digest: string): Promise<void> {
  const user = await w.trx
    .selectFrom('apps')
    .select('guid')
    .where('package_digest', '=', digest)
    .executeTakeFirst();
  if (user) return;
  await w.trx.deleteFrom('package_chunks').where('owner', '=', digest).execute();
  await w.trx.deleteFrom('packages').where('digest', '=', digest).execute();
}

/** The periodic sweep: packages no app uses, and uploads left behind. */
export async function sweepPackages(w: Writer, now = Date.now()): Promise<number> {
  const unused = await w.trx
    .selectFrom('packages')
    .leftJoin('apps', 'apps.package_digest', 'packages.digest')
    .select('packages.digest')
    .where('apps.guid', 'is', null)
    .execute();
  for (const { digest } of unused) await collectPackage(w, digest);
  const stale = await w.trx
    .selectFrom('package_uploads')
    .select('id')
    .where('started_at', '<', new Date(now - STALE_UPLOAD_MS).toISOString())
    .execute();
  for (const { id } of stale) {
    await w.trx.deleteFrom('package_chunks').where('owner', '=', id).execute();
    await w.trx.deleteFrom('package_uploads').where('id', '=', id).execute();
  }
  return unused.length + stale.length;
}
