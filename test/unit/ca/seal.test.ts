import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseSealKey, seal, unseal } from '../../../src/ca/seal.js';

const secret =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

test('a sealed secret opens with its key next to the value it is bound to', () => {
  const key = randomBytes(32);
  assert.equal(unseal(seal(secret, key, 'cert'), key, 'cert'), secret);
});

test('the sealed text carries neither the PEM nor its base64 body', () => {
  const sealed = seal(secret, randomBytes(32), 'cert');
  assert.ok(!sealed.includes('PRIVATE KEY'));
  assert.ok(!sealed.includes('MIGHAgEAMBMGByqGSM49'));
});

test('another key fails authentication instead of yielding garbage', () => {
  const sealed = seal(secret, randomBytes(32), 'cert');
  assert.throws(() => unseal(sealed, randomBytes(32), 'cert'), /authentication failed/);
});

test('a sealed secret moved next to another value does not open', () => {
  const key = randomBytes(32);
  assert.throws(() => unseal(seal(secret, key, 'cert'), key, 'attacker cert'), /authentication failed/);
});

test('an altered sealed value does not open', () => {
  const key = randomBytes(32);
  const [format, iv, tag, data] = seal(secret, key, 'cert').split('.');
  const flipped = Buffer.from(data ?? '', 'base64');
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  const altered = [format, iv, tag, flipped.toString('base64')].join('.');
  assert.throws(() => unseal(altered, key, 'cert'), /authentication failed/);
});

test('seal keys are 32 bytes written as hex or base64, nothing else', () => {
  const bytes = randomBytes(32);
  assert.deepEqual(parseSealKey(`${bytes.toString('hex')}\n`), bytes);
  assert.deepEqual(parseSealKey(bytes.toString('base64')), bytes);
  assert.throws(() => parseSealKey(randomBytes(16).toString('base64')), /32 random bytes/);
  assert.throws(() => parseSealKey('correct horse battery staple'), /32 random bytes/);
});
