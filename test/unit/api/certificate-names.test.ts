import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { apiCertificateNames } from '../../../src/api/certificate-names.js';

function iface(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  const common = { address, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', internal, cidr: null };
  return family === 'IPv4' ? { ...common, family } : { ...common, family, scopeid: 0 };
}

const interfaces = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('192.0.2.10', 'IPv4'), iface('fe80::1', 'IPv6')],
  eth1: [iface('198.51.100.7', 'IPv4')],
};

test('names loopback, the host name, every non-loopback IPv4 address and each --api-name', () => {
  const names = apiCertificateNames({
    listenHost: '0.0.0.0',
    hostname: 'Cell-Host',
    interfaces,
    apiNames: ['api.example.test', '203.0.113.5'],
  });
  assert.deepEqual(names.dnsNames.sort(), ['api.example.test', 'cell-host', 'localhost']);
  assert.deepEqual(names.ips.sort(), ['127.0.0.1', '192.0.2.10', '198.51.100.7', '203.0.113.5', '::1']);
});

test('a listen address that is an IP or a name is named; a wildcard is not', () => {
  const byIp = apiCertificateNames({ listenHost: '10.1.2.3', hostname: 'h', interfaces: {}, apiNames: [] });
  assert.ok(byIp.ips.includes('10.1.2.3'));
  const byName = apiCertificateNames({
    listenHost: 'cp.internal',
    hostname: 'h',
    interfaces: {},
    apiNames: [],
  });
  assert.ok(byName.dnsNames.includes('cp.internal'));
  const wildcard = apiCertificateNames({ listenHost: '::', hostname: 'h', interfaces: {}, apiNames: [] });
  assert.ok(!wildcard.ips.includes('::'));
});

test('a host name no certificate could carry is left out; a bad --api-name is refused', () => {
  const names = apiCertificateNames({
    listenHost: '127.0.0.1',
    hostname: 'bad_name',
    interfaces: {},
    apiNames: [],
  });
  assert.deepEqual(names.dnsNames, ['localhost']);
  assert.throws(
    () => apiCertificateNames({ listenHost: '127.0.0.1', hostname: 'h', interfaces: {}, apiNames: ['a b'] }),
    /--api-name a b/,
  );
});
