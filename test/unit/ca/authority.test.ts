import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createCa, generateKeyAndCsr, loadCa } from '../../../src/ca/index.js';
import { openssl, scratchDir } from './openssl.js';

test('createCa makes a self-signed P-256 CA allowed to sign certificates', async () => {
  const { certPem, keyPem } = createCa({ commonName: 'test CA', validityDays: 30 });
  const cert = new X509Certificate(certPem);
  assert.equal(cert.ca, true);
  assert.equal(cert.subject, 'CN=test CA');
  assert.equal(cert.checkIssued(cert), true);
  assert.equal(cert.verify(cert.publicKey), true);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(cert.checkPrivateKey(createPrivateKey(keyPem)), true);
  assert.equal(Date.parse(cert.validTo) - Date.parse(cert.validFrom), 30 * 86_400_000 + 60_000);
  const dir = await scratchDir();
  try {
    const text = await openssl('x509', '-in', await dir.write('ca.crt', certPem), '-noout', '-text');
    assert.match(text.output, /Basic Constraints: critical\s+CA:TRUE/);
    assert.match(text.output, /Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
  } finally {
    await dir.remove();
  }
});

test('loadCa refuses a key that does not belong to the certificate', () => {
  const a = createCa();
  const b = createCa();
  assert.throws(() => loadCa(a.certPem, b.keyPem), /does not match/);
});

test('loadCa refuses a certificate that is not a CA', () => {
  const material = createCa();
  const ca = loadCa(material.certPem, material.keyPem);
  const { keyPem, csrPem } = generateKeyAndCsr('leaf');
  const leafPem = ca.issueC2c({
    csrPem,
    instanceGuid: 'i',
    appGuid: 'a',
    spaceGuid: 's',
    orgGuid: 'o',
    dnsNames: [],
  });
  assert.throws(() => loadCa(leafPem, keyPem), /CA:true/);
});

test('loadCa accepts a SEC1 "EC PRIVATE KEY" as openssl writes it', () => {
  const { certPem, keyPem } = createCa();
  const sec1 = createPrivateKey(keyPem).export({ type: 'sec1', format: 'pem' }).toString();
  const ca = loadCa(certPem, sec1);
  assert.equal(ca.certPem, certPem);
});
