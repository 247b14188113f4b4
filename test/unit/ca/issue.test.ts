import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { Ca, createCa, generateKeyAndCsr, loadCa } from '../../../src/ca/index.js';
import { openssl, scratchDir } from './openssl.js';

const identity = {
  instanceGuid: 'a1b2c3d4-0000-4000-8000-000000000001',
  appGuid: 'app-guid-b',
  spaceGuid: 'space-guid-1',
  orgGuid: 'org-guid-1',
};
const routeNames = [
  'app-b.apps.internal',
  '0.app-b.apps.internal',
  'app-b.other.internal',
  '0.app-b.other.internal',
];

let ca: Ca;
let dir: Awaited<ReturnType<typeof scratchDir>>;
let caFile: string;

before(async () => {
  const material = createCa();
  ca = loadCa(material.certPem, material.keyPem);
  dir = await scratchDir();
  caFile = await dir.write('ca.crt', ca.certPem);
});

after(async () => {
  await dir.remove();
});

function subjectAltNames(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? '').split(', ').sort();
}

test('c2c certificate chains to the CA and verifies for each route name as a TLS server', async () => {
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  const certFile = await dir.write('c2c.crt', ca.issueC2c({ ...identity, csrPem, dnsNames: routeNames }));
  for (const name of ['app-b.apps.internal', '0.app-b.other.internal', identity.instanceGuid]) {
    const result = await openssl(
      'verify',
      '-CAfile',
      caFile,
      '-purpose',
      'sslserver',
      '-verify_hostname',
      name,
      certFile,
    );
    assert.equal(result.code, 0, result.output);
  }
  const wrongName = await openssl(
    'verify',
    '-CAfile',
    caFile,
    '-verify_hostname',
    'app-c.apps.internal',
    certFile,
  );
  assert.notEqual(wrongName.code, 0);
});

test('c2c certificate carries routes and instance GUID as SANs and the CF instance subject', () => {
  const { csrPem } = generateKeyAndCsr('ignored-common-name');
  const cert = new X509Certificate(ca.issueC2c({ ...identity, csrPem, dnsNames: routeNames }));
  assert.deepEqual(
    subjectAltNames(cert.toString()),
    [...routeNames, identity.instanceGuid].map((n) => `DNS:${n}`).sort(),
  );
  assert.equal(
    cert.subject,
    `CN=${identity.instanceGuid}\nOU=organization:${identity.orgGuid}\nOU=space:${identity.spaceGuid}\nOU=app:${identity.appGuid}`,
  );
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.checkIssued(new X509Certificate(ca.certPem)), true);
});

test('c2c certificate is valid for 24 hours from a minute ago by default', () => {
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  const issuedFrom = Math.floor(Date.now() / 1000) * 1000;
  const cert = new X509Certificate(ca.issueC2c({ ...identity, csrPem, dnsNames: routeNames }));
  const issuedUntil = Math.ceil(Date.now() / 1000) * 1000;
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  assert.ok(notBefore >= issuedFrom - 60_000 && notBefore <= issuedUntil - 60_000);
  assert.ok(notAfter >= issuedFrom + 24 * 3600_000 && notAfter <= issuedUntil + 24 * 3600_000);
});

test('validityHours sets the certificate lifetime', () => {
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  const cert = new X509Certificate(
    ca.issueC2c({ ...identity, csrPem, dnsNames: routeNames, validityHours: 2 }),
  );
  assert.equal(Date.parse(cert.validTo) - Date.parse(cert.validFrom), 2 * 3600_000 + 60_000);
});

test('duplicate and differently cased names appear once in the SAN', () => {
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  const pem = ca.issueC2c({
    ...identity,
    csrPem,
    dnsNames: ['App-B.apps.internal', 'app-b.apps.internal'],
  });
  assert.deepEqual(subjectAltNames(pem), [
    'DNS:a1b2c3d4-0000-4000-8000-000000000001',
    'DNS:app-b.apps.internal',
  ]);
});

test('identity certificate has instance GUID and IP as SANs and works as client and server', async () => {
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  const pem = ca.issueIdentity({ ...identity, csrPem, ip: '10.255.7.3' });
  const cert = new X509Certificate(pem);
  assert.deepEqual(subjectAltNames(pem), [`DNS:${identity.instanceGuid}`, 'IP Address:10.255.7.3']);
  assert.match(cert.subject, new RegExp(`^CN=${identity.instanceGuid}\n`));
  assert.match(cert.subject, /OU=app:app-guid-b/);
  assert.deepEqual([...(cert.keyUsage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  const certFile = await dir.write('identity.crt', pem);
  for (const purpose of ['sslclient', 'sslserver']) {
    const result = await openssl(
      'verify',
      '-CAfile',
      caFile,
      '-purpose',
      purpose,
      '-verify_ip',
      '10.255.7.3',
      certFile,
    );
    assert.equal(result.code, 0, result.output);
  }
});

test('invalid names, addresses, GUIDs and lifetimes are refused', () => {
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  assert.throws(
    () => ca.issueC2c({ ...identity, csrPem, dnsNames: ['bad_name.apps.internal'] }),
    /invalid DNS name/,
  );
  assert.throws(() => ca.issueC2c({ ...identity, csrPem, dnsNames: ['a..b'] }), /invalid DNS name/);
  assert.throws(() => ca.issueIdentity({ ...identity, csrPem, ip: '10.0.0.300' }), /invalid IP address/);
  assert.throws(
    () => ca.issueC2c({ ...identity, appGuid: 'x, OU=app:y', csrPem, dnsNames: [] }),
    /invalid appGuid/,
  );
  assert.throws(() => ca.issueC2c({ ...identity, csrPem, dnsNames: [], validityHours: 0 }), /validityHours/);
});

test('a leaf never outlives the CA that signed it', () => {
  const shortLived = createCa({ validityDays: 1 });
  const shortCa = loadCa(shortLived.certPem, shortLived.keyPem);
  const { csrPem } = generateKeyAndCsr(identity.instanceGuid);
  const leaf = new X509Certificate(
    shortCa.issueC2c({ ...identity, csrPem, dnsNames: [], validityHours: 72 }),
  );
  assert.equal(leaf.validTo, new X509Certificate(shortLived.certPem).validTo);
});

test('the API server certificate names its hosts and addresses, serves TLS only, and comes with its key', async () => {
  const issued = ca.issueServer({
    dnsNames: ['localhost', 'API.example.test'],
    ips: ['127.0.0.1', '::1', '192.0.2.10'],
    validityHours: 48,
  });
  const cert = new X509Certificate(issued.certPem);
  assert.deepEqual(subjectAltNames(issued.certPem), [
    'DNS:api.example.test',
    'DNS:localhost',
    'IP Address:0:0:0:0:0:0:0:1',
    'IP Address:127.0.0.1',
    'IP Address:192.0.2.10',
  ]);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.ca, false);
  assert.ok(cert.checkPrivateKey(createPrivateKey(issued.keyPem)));
  const certFile = await dir.write('server.crt', issued.certPem);
  const byName = await openssl(
    'verify',
    '-CAfile',
    caFile,
    '-purpose',
    'sslserver',
    '-verify_hostname',
    'api.example.test',
    certFile,
  );
  assert.equal(byName.code, 0, byName.output);
  const asClient = await openssl('verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile);
  assert.notEqual(asClient.code, 0, 'not usable as a client certificate');
  assert.throws(
    () => ca.issueServer({ dnsNames: ['bad_name'], ips: [], validityHours: 1 }),
    /invalid DNS name/,
  );
  assert.throws(() => ca.issueServer({ dnsNames: [], ips: ['::g'], validityHours: 1 }), /invalid IP address/);
});
