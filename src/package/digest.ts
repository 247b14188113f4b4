// A package is named by the SHA-256 of its bytes, as lowercase hex.
import { createHash, type Hash } from 'node:crypto';

const DIGEST = /^[0-9a-f]{64}$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

export function newHash(): Hash {
  return createHash('sha256');
}
