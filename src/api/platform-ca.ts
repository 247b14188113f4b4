// Which platform CA this server signs with. Given a seal key, the CA lives in the database, its key
// sealed: the first server creates it (or imports the CA files of a server started before), the others
// open it. Without one, SQLite keeps the CA in files under WEFT_HOME, next to the database they guard
// equally; PostgreSQL refuses, since servers sharing it must share one CA.
import fs from 'node:fs';
import path from 'node:path';
import { createCa, loadCa, loadOrCreateCa, type Ca, type CaMaterial } from '../ca/index.js';
import { readCaFiles } from '../ca/files.js';
import { seal, SealError, unseal } from '../ca/seal.js';
import { readStoredCa, resealCa, storeCaOnce, type StoredCa } from '../store/certificate-authority.js';
import type { Store } from '../store/store.js';
import { CA_CERT_FILE, CA_DIR } from '../home/paths.js';

export interface SealKey {
  key: Buffer;
  /** Where it came from, for error messages. */
  source: string;
}

const SEAL_FLAG = '--ca-seal-key-file (or WEFT_CA_SEAL_KEY_FILE)';

export interface SealKeys {
  current: SealKey | null;
  /** The key the CA was sealed with until now: the CA is opened with it and sealed again with `current`. */
  previous: SealKey | null;
}

export async function platformCa(store: Store, home: string, keys: SealKeys): Promise<Ca> {
  const { current: sealKey, previous } = keys;
  const stored = await readStoredCa(store.db);
  if (sealKey === null) {
    if (stored !== null) {
      throw new Error(`this database holds the platform CA, sealed: start with ${SEAL_FLAG}`);
    }
    if (store.dialect === 'postgres') {
      throw new Error(
        `servers sharing PostgreSQL share one CA, kept in the database under a seal key only you hold: ` +
          `start with ${SEAL_FLAG} (32 random bytes: openssl rand -base64 32; see docs/operations.md)`,
      );
    }
    return loadOrCreateCa(path.join(home, CA_DIR));
  }
  const held = stored ?? (await storeCaOnce(store.db, sealed(await firstCa(home), sealKey.key)));
  let keyPem: string;
  try {
    keyPem = opened(held, sealKey);
  } catch (err) {
    if (previous === null) throw err;
    keyPem = opened(held, previous);
    await resealCa(store.db, held.sealedKey, seal(keyPem, sealKey.key, held.certPem));
  }
  const ca = loadCa(held.certPem, keyPem);
  writeCertificateFile(home, held.certPem);
  return ca;
}

function opened(held: StoredCa, key: SealKey): string {
  try {
    return unseal(held.sealedKey, key.key, held.certPem);
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    throw new Error(
      `the platform CA in the database does not open with the seal key ${key.source}: ${err.message}`,
    );
  }
}

/** A CA this home already has (a server from before the CA moved into the database), or a new one. */
async function firstCa(home: string): Promise<CaMaterial> {
  return (await readCaFiles(path.join(home, CA_DIR))) ?? createCa();
}

function sealed(ca: CaMaterial, key: Buffer) {
  return { certPem: ca.certPem, sealedKey: seal(ca.keyPem, key, ca.certPem) };
}

/** Local clients (the CLI, a cell on this host) find the CA certificate where they always did. */
function writeCertificateFile(home: string, certPem: string): void {
  const file = path.join(home, CA_CERT_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, certPem, { mode: 0o644 });
  fs.renameSync(temp, file);
}
