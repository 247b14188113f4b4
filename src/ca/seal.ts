// The CA's private key as the database holds it: sealed with AES-256-GCM under a key only the operator
// holds. The certificate is bound in as associated data, so a sealed key opens only next to its own
// certificate, and a wrong seal key fails authentication instead of yielding garbage.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT = 'weft-seal-v1';
const IV_BYTES = 12;
const KEY_BYTES = 32;
// A shorter tag would be accepted by default and make forgeries cheaper.
const TAG_BYTES = 16;

export class SealError extends Error {
  override name = 'SealError';
}

/** A seal key as written in its file: 32 bytes, hex or base64. */
export function parseSealKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : base64(trimmed);
  if (key?.length !== KEY_BYTES) {
    throw new SealError('a seal key is 32 random bytes, hex or base64 (openssl rand -base64 32)');
  }
  return key;
}

function base64(text: string): Buffer | null {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : null;
}

export function seal(secret: string, key: Buffer, boundTo: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(boundTo));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [FORMAT, ...[iv, cipher.getAuthTag(), sealed].map((p) => p.toString('base64'))].join('.');
}

export function unseal(sealed: string, key: Buffer, boundTo: string): string {
  const [format, ...parts] = sealed.split('.');
  const [iv, tag, data] = parts.map((p) => Buffer.from(p, 'base64'));
  if (format !== FORMAT || parts.length !== 3 || !iv || !tag || !data) {
    throw new SealError(`not a ${FORMAT} sealed value`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(boundTo));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('authentication failed: sealed with another key, or altered');
  }
}

function associatedData(boundTo: string): Buffer {
  return Buffer.concat([Buffer.from(`${FORMAT}\n`), createHash('sha256').update(boundTo).digest()]);
}
