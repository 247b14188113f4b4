// The certificate ledger: names and validity read from the issued certificate itself, the latest per
// instance and kind, and a bound on what it remembers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CertificateLedger, sanEntries } from '../../../src/api/certificate-ledger.js';

function selfSigned(san: string): string {
  return execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=t',
      '-days',
      '1',
      '-addext',
      `subjectAltName=${san}`,
    ],
    { encoding: 'utf8' },
  );
}

test('subject alternative names are split as node prints them', () => {
  assert.deepEqual(sanEntries('DNS:a.apps.internal, DNS:0.a.apps.internal, URI:spiffe://weft/app/x'), [
    'DNS:a.apps.internal',
    'DNS:0.a.apps.internal',
    'URI:spiffe://weft/app/x',
  ]);
  assert.deepEqual(sanEntries(undefined), []);
});

test('the latest certificate of each kind per instance is kept with its names and expiry', () => {
  const ledger = new CertificateLedger(10);
  ledger.record('i1', 'c2c', selfSigned('DNS:old.apps.internal'));
  ledger.record('i1', 'c2c', selfSigned('DNS:app-b.apps.internal'));
  ledger.record('i1', 'identity', selfSigned('IP:10.99.1.11'));
  const [c2c, identity] = ledger.of('i1');
  assert.deepEqual(c2c?.names, ['DNS:app-b.apps.internal']);
  assert.equal(c2c?.kind, 'c2c');
  assert.deepEqual(identity?.names, ['IP Address:10.99.1.11']);
  const life = Date.parse(c2c?.notAfter ?? '') - Date.parse(c2c?.notBefore ?? '');
  assert.equal(life, 24 * 3600 * 1000);
  assert.deepEqual(ledger.of('unknown'), []);
});

test('past its capacity the ledger forgets the longest-unrenewed certificate first', () => {
  const ledger = new CertificateLedger(2);
  const pem = selfSigned('DNS:x.apps.internal');
  ledger.record('i1', 'c2c', pem);
  ledger.record('i2', 'c2c', pem);
  ledger.record('i1', 'c2c', pem);
  ledger.record('i3', 'c2c', pem);
  assert.equal(ledger.of('i2').length, 0);
  assert.equal(ledger.of('i1').length, 1);
  assert.equal(ledger.of('i3').length, 1);
});
