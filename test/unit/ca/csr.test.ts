import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Ca, CertificateRequestError, createCa, generateKeyAndCsr, loadCa } from '../../../src/ca/index.js';
import { requestDer, requestPem } from './csr-pem.js';
import { openssl, scratchDir } from './openssl.js';

const identity = { instanceGuid: 'inst-1', appGuid: 'app-1', spaceGuid: 'space-1', orgGuid: 'org-1' };

let ca: Ca;
let dir: Awaited<ReturnType<typeof scratchDir>>;

before(async () => {
  const material = createCa();
  ca = loadCa(material.certPem, material.keyPem);
  dir = await scratchDir();
});

after(async () => {
  await dir.remove();
});

async function opensslCsr(name: string, ...newKeyArgs: string[]): Promise<string> {
  const out = `${dir.path}/${name}.csr`;
  const result = await openssl(
    'req',
    '-new',
    '-nodes',
    '-subj',
    '/CN=x',
    ...newKeyArgs,
    '-keyout',
    `${dir.path}/${name}.key`,
    '-out',
    out,
  );
  assert.equal(result.code, 0, result.output);
  return readFile(out, 'utf8');
}

test('generateKeyAndCsr makes a P-256 key and a CSR openssl verifies', async () => {
  const { keyPem, csrPem } = generateKeyAndCsr('inst-1');
  const key = createPrivateKey(keyPem);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const csrFile = await dir.write('own.csr', csrPem);
  const result = await openssl('req', '-in', csrFile, '-noout', '-verify', '-subject');
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /subject=CN = inst-1/);
});

test('a CSR made by openssl with a P-256 key is signed', async () => {
  const csrPem = await opensslCsr('p256', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256');
  assert.match(ca.issueC2c({ ...identity, csrPem, dnsNames: [] }), /BEGIN CERTIFICATE/);
});

for (const [kind, args] of [
  ['RSA', ['-newkey', 'rsa:2048']],
  ['P-384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
  ['Ed25519', ['-newkey', 'ed25519']],
] as const) {
  test(`a CSR for a ${kind} key is refused`, async () => {
    const csrPem = await opensslCsr(kind, ...args);
    assert.throws(
      () => ca.issueC2c({ ...identity, csrPem, dnsNames: [] }),
      (err: Error) => {
        assert.ok(err instanceof CertificateRequestError);
        assert.match(err.message, /EC P-256/);
        return true;
      },
    );
  });
}

test('a CSR whose signed content was altered is refused', () => {
  const { csrPem } = generateKeyAndCsr('aaaaaaaa');
  const der = requestDer(csrPem);
  const at = der.indexOf('aaaaaaaa');
  assert.ok(at > 0);
  der[at] = 'b'.charCodeAt(0);
  assert.throws(
    () => ca.issueC2c({ ...identity, csrPem: requestPem(der), dnsNames: [] }),
    /CSR signature does not verify/,
  );
});

test('a CSR naming a key other than the one that signed it is refused', () => {
  const signed = requestDer(generateKeyAndCsr('same-name').csrPem);
  const other = requestDer(generateKeyAndCsr('same-name').csrPem);
  // An uncompressed P-256 point is the BIT STRING 03 42 00 04 followed by 64 bytes.
  const pointAt = (der: Buffer): number => der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])) + 3;
  assert.ok(pointAt(signed) > 3 && pointAt(other) > 3);
  other.copy(signed, pointAt(signed), pointAt(other), pointAt(other) + 65);
  assert.throws(
    () => ca.issueC2c({ ...identity, csrPem: requestPem(signed), dnsNames: [] }),
    /CSR signature does not verify/,
  );
});

test('text that is not a CSR is refused', () => {
  assert.throws(() => ca.issueC2c({ ...identity, csrPem: 'hello', dnsNames: [] }), /not a valid PKCS#10/);
  assert.throws(
    () => ca.issueIdentity({ ...identity, csrPem: ca.certPem, ip: '10.0.0.1' }),
    CertificateRequestError,
  );
});
