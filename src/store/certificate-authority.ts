// The platform CA's row: written once by whichever server gets there first, read by every other.
import type { Db } from './writer.js';

export interface StoredCa {
  certPem: string;
  sealedKey: string;
}

export async function readStoredCa(db: Db): Promise<StoredCa | null> {
  const row = await db
    .selectFrom('certificate_authority')
    .select(['cert_pem', 'sealed_key'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return row ? { certPem: row.cert_pem, sealedKey: row.sealed_key } : null;
}

/** Stores `ca` unless a CA is there already; returns the CA the database holds afterwards. */
export async function storeCaOnce(db: Db, ca: StoredCa): Promise<StoredCa> {
  await db
    .insertInto('certificate_authority')
    .values({ id: 1, cert_pem: ca.certPem, sealed_key: ca.sealedKey, created_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const stored = await readStoredCa(db);
  if (stored === null) throw new Error('the CA row vanished right after it was written');
  return stored;
}

/** Replaces the sealed key, unless another server already replaced it (with the same new seal key). */
export async function resealCa(db: Db, from: string, to: string): Promise<void> {
  await db
    .updateTable('certificate_authority')
    .set({ sealed_key: to })
    .where('id', '=', 1)
    .where('sealed_key', '=', from)
    .execute();
}
