// A compromised cell controls every byte of the CSRs it sends. Whatever they hold, the CA answers with a
// certificate for a key that signed the request, or with a CertificateRequestError (a 400), never
// with another error (a 500) or a certificate for a key that did not sign.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CertificateRequestError, createCa, generateKeyAndCsr, loadCa } from '../../../src/ca/index.js';
import { requestDer, requestPem } from './csr-pem.js';
import { prng } from '../../helpers/fuzz.js';

const identity = { instanceGuid: 'inst-1', appGuid: 'app-1', spaceGuid: 'space-1', orgGuid: 'org-1' };
const material = createCa();
const ca = loadCa(material.certPem, material.keyPem);

/** Flips, drops, inserts or truncates bytes: lengths and tags of the DER go wrong in every way. */
function mutate(input: Buffer, random: () => number): Buffer {
  const bytes = [...input];
  const edits = 1 + Math.floor(random() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * bytes.length);
    const what = Math.floor(random() * 4);
    if (what === 0) bytes[at] = Math.floor(random() * 256);
    else if (what === 1) bytes.splice(at, 1 + Math.floor(random() * 8));
    else if (what === 2) bytes.splice(at, 0, Math.floor(random() * 256));
    else bytes.length = at;
  }
  return Buffer.from(bytes);
}

test('mutated CSRs are refused as bad requests, or signed only for the key that signed them', () => {
  const random = prng(0x5eed);
  const { csrPem } = generateKeyAndCsr('inst-1');
  const original = requestDer(csrPem);
  const signedKey = new X509Certificate(ca.issueC2c({ ...identity, csrPem, dnsNames: [] })).publicKey;
  let refused = 0;
  for (let round = 0; round < 2000; round++) {
    const mutated = requestPem(mutate(original, random));
    try {
      const issued = new X509Certificate(ca.issueC2c({ ...identity, csrPem: mutated, dnsNames: [] }));
      assert.ok(issued.publicKey.equals(signedKey), `round ${round}: certified a key that did not sign`);
    } catch (err) {
      assert.ok(err instanceof CertificateRequestError, `round ${round}: ${String(err)}`);
      refused++;
    }
  }
  assert.ok(refused > 1900, `only ${refused} of 2000 mutations were refused`);
});

test('text around, inside or instead of the PEM block is refused as a bad request', () => {
  const { csrPem } = generateKeyAndCsr('inst-1');
  const body = csrPem.split('\n').slice(1, -2).join('\n');
  for (const text of [
    '',
    '-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n',
    csrPem.replace('REQUEST', 'REQUESTS'),
    `${csrPem}${csrPem}`,
    `junk\n${csrPem}`,
    csrPem.replace(body, `${body}!`),
    csrPem.replace(body, 'A'.repeat(100_000)),
    material.certPem,
  ]) {
    assert.throws(() => ca.issueC2c({ ...identity, csrPem: text, dnsNames: [] }), CertificateRequestError);
  }
});
