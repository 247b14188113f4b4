// How tests reach a control plane: over HTTPS, trusting only the platform CA in the server's home.
import fs from 'node:fs';
import path from 'node:path';
import { pinnedFetch as pinnedToCa, type PinnedFetch } from '../../src/ca/pinned-fetch.js';

/** Where a WEFT_HOME keeps the platform CA's certificate. */
export function caFileOf(home: string): string {
  return path.join(home, 'ca', 'ca.crt');
}

/** fetch that verifies the server against the CA of the given WEFT_HOME, and nothing else. */
export function pinnedFetch(home: string): PinnedFetch {
  return pinnedToCa(fs.readFileSync(caFileOf(home), 'utf8'));
}
