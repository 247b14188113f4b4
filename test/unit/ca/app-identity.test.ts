import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCertificate } from 'node:tls';
import { appIdentityFromCert } from '../../../src/ca/index.js';

function peer(subject: Record<string, string | string[]>): PeerCertificate {
  return { subject } as unknown as PeerCertificate;
}

test('reads the app GUID among several OUs', () => {
  const cert = peer({ CN: 'inst', OU: ['organization:o', 'space:s', 'app:app-guid-1'] });
  assert.equal(appIdentityFromCert(cert), 'app-guid-1');
});

test('reads the app GUID from a single OU', () => {
  assert.equal(appIdentityFromCert(peer({ OU: 'app:app-guid-2' })), 'app-guid-2');
});

test('a certificate without an app OU, or with two, identifies no app', () => {
  assert.equal(appIdentityFromCert(peer({ CN: 'app:not-an-ou' })), null);
  assert.equal(appIdentityFromCert(peer({ OU: ['app:a', 'app:b'] })), null);
  assert.equal(appIdentityFromCert(peer({ OU: 'app:' })), null);
  assert.equal(appIdentityFromCert(null), null);
  assert.equal(appIdentityFromCert({} as PeerCertificate), null);
});
