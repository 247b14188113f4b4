// Where weft keeps its state on a host: WEFT_HOME, or /var/lib/weft as root, ~/.weft otherwise.
import os from 'node:os';
import path from 'node:path';

export function weftHome(): string {
  const fromEnv = process.env.WEFT_HOME;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return process.getuid?.() === 0 ? '/var/lib/weft' : path.join(os.homedir(), '.weft');
}

export const ADMIN_TOKEN_FILE = 'admin-token';
export const DATABASE_FILE = 'weft.db';
/** The platform CA: ca.crt and ca.key. */
export const CA_DIR = 'ca';
export const CA_CERT_FILE = 'ca/ca.crt';
