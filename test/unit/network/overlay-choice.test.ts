import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressesFromIpJson,
  checkOverlay,
  chooseOverlay,
  nameserversFromResolvConf,
  routesFromIpJson,
  type HostFacts,
} from '../../../src/network/overlay-choice.js';

// This machine: eth0 192.0.2.2/24, default route via 192.0.2.1, resolver 10.255.255.53.
const thisHost: HostFacts = {
  addresses: [
    { ip: '127.0.0.1', iface: 'lo' },
    { ip: '192.0.2.2', iface: 'eth0' },
  ],
  routes: [{ dst: '192.0.2.0/24', dev: 'eth0' }],
  resolvers: [{ ip: '10.255.255.53', source: '/etc/resolv.conf' }],
};

test('refuses 10.255.0.0/16 on a host whose resolver is 10.255.255.53', () => {
  assert.deepEqual(checkOverlay('10.255.0.0/16', thisHost), [
    'DNS resolver 10.255.255.53 (/etc/resolv.conf)',
  ]);
  assert.throws(
    () => chooseOverlay('10.255.0.0/16', thisHost),
    /overlay 10\.255\.0\.0\/16 overlaps this host: DNS resolver 10\.255\.255\.53 .*10\.254\.0\.0\/16 is free/,
  );
});

test('picks the first free overlay and says why', () => {
  const choice = chooseOverlay(undefined, thisHost);
  assert.equal(choice.cidr, '10.254.0.0/16');
  assert.match(
    choice.note,
    /default overlay 10\.255\.0\.0\/16 overlaps this host \(DNS resolver 10\.255\.255\.53/,
  );
  assert.match(choice.note, /using 10\.254\.0\.0\/16 instead/);
});

test("takes Cloud Foundry's default overlay when it is free", () => {
  const free: HostFacts = { ...thisHost, resolvers: [{ ip: '192.0.2.1', source: '/etc/resolv.conf' }] };
  assert.deepEqual(chooseOverlay(undefined, free), {
    cidr: '10.255.0.0/16',
    note: "using Cloud Foundry's default overlay 10.255.0.0/16",
  });
});

test('skips fallbacks that collide with host addresses or routes', () => {
  const crowded: HostFacts = {
    addresses: [{ ip: '10.254.7.7', iface: 'eth1' }],
    routes: [{ dst: '10.252.0.0/14', dev: 'eth2' }],
    resolvers: thisHost.resolvers,
  };
  assert.deepEqual(checkOverlay('10.253.0.0/16', crowded), ['host route 10.252.0.0/14 dev eth2']);
  assert.equal(chooseOverlay(undefined, crowded).cidr, '172.30.0.0/16');
});

test('accepts a configured overlay that is free', () => {
  assert.equal(chooseOverlay('10.99.0.0/16', thisHost).cidr, '10.99.0.0/16');
});

test('fails with every reason when no candidate is free', () => {
  const everything: HostFacts = {
    addresses: [],
    routes: [{ dst: '0.0.0.0/1' }, { dst: '128.0.0.0/1' }],
    resolvers: [],
  };
  assert.throws(
    () => chooseOverlay(undefined, everything),
    /and so do 10\.254\.0\.0\/16, .*configure a free overlay/,
  );
});

test("reads the host's facts from ip's JSON, leaving out the default route and weft's own links and routes", () => {
  assert.deepEqual(
    addressesFromIpJson([
      {
        ifname: 'eth0',
        addr_info: [
          { family: 'inet', local: '192.0.2.2' },
          { family: 'inet6', local: 'fd00::2' },
        ],
      },
      { ifname: 'weft0', ifalias: 'weft:gateway', addr_info: [{ family: 'inet', local: '10.254.3.1' }] },
    ]),
    [{ ip: '192.0.2.2', iface: 'eth0' }],
  );
  assert.deepEqual(
    routesFromIpJson([
      { dst: 'default', dev: 'eth0' },
      { dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel' },
      { dst: '10.254.3.0/24', protocol: '87' },
      { dst: '10.254.3.7', dev: 'wc1', protocol: '87' },
      { dst: '203.0.113.9', dev: 'eth0' },
    ]),
    [
      { dst: '192.0.2.0/24', dev: 'eth0' },
      { dst: '203.0.113.9/32', dev: 'eth0' },
    ],
  );
});

test('reads IPv4 nameservers from resolv.conf', () => {
  const text =
    '# generated\nsearch example.org\nnameserver 10.255.255.53\nnameserver fd00::53\n  nameserver 1.1.1.1 \n';
  assert.deepEqual(nameserversFromResolvConf(text), ['10.255.255.53', '1.1.1.1']);
});
