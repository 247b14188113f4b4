import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCa, loadCa, type Ca, type CaMaterial } from './authority.js';

/** Loads the platform CA from DIR/ca.crt and DIR/ca.key, creating both on first start. */
export async function loadOrCreateCa(dir: string): Promise<Ca> {
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies to a directory it creates; tighten one that already existed too.
  await chmod(dir, 0o700);
  const existing = await readPair(certPath, keyPath);
  if (existing) return loadCa(existing.certPem, existing.keyPem);
  const created = createCa();
  // The key goes first and exclusively: a concurrent creator fails here instead of mixing pairs.
  await writeFile(keyPath, created.keyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(certPath, created.certPem, { mode: 0o644, flag: 'wx' });
  return loadCa(created.certPem, created.keyPem);
}

/** The CA files in DIR, or null when there are none. */
export function readCaFiles(dir: string): Promise<CaMaterial | null> {
  return readPair(join(dir, 'ca.crt'), join(dir, 'ca.key'));
}

async function readPair(certPath: string, keyPath: string): Promise<CaMaterial | null> {
  const [certPem, keyPem] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (certPem === null && keyPem === null) return null;
  if (certPem === null || keyPem === null) {
    throw new Error(`CA files incomplete: need both ${certPath} and ${keyPath}`);
  }
  return { certPem, keyPem };
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
