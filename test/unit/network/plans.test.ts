import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellNetworkBatch } from '../../../src/network/cell-network.js';
import { containerSideBatch, hostSideBatch, pairMacs } from '../../../src/network/container-network.js';

const cell = {
  gatewayIp: '10.99.3.1',
  gatewayIface: 'weft0',
  subnet: '10.99.3.0/24',
  overlay: '10.99.0.0/16',
};
const container = {
  netnsPath: '/run/netns/weft-abc',
  ifname: 'eth0',
  hostIface: 's-abc',
  ip: '10.99.3.2',
  gatewayIp: '10.99.3.1',
};

test('the cell holds its gateway as a /32 and makes its subnet and the overlay unreachable', () => {
  assert.deepEqual(cellNetworkBatch(cell), [
    'link set dev weft0 alias weft:gateway',
    'addr replace 10.99.3.1/32 dev weft0',
    'link set dev weft0 up',
    'route replace unreachable 10.99.3.0/24 proto 87',
    'route replace unreachable 10.99.0.0/16 proto 87',
  ]);
});

test('a cell alone in a one-subnet overlay gets one unreachable route', () => {
  const lone = { ...cell, overlay: cell.subnet };
  assert.equal(cellNetworkBatch(lone).filter((l) => l.includes('unreachable')).length, 1);
});

test('the host end holds 169.254.0.1 and routes the container /32 from the gateway address', () => {
  assert.deepEqual(hostSideBatch(container), [
    'link add s-abc address aa:aa:0a:63:03:02 type veth peer name eth0 address 0a:58:0a:63:03:02 netns /run/netns/weft-abc',
    'link set dev s-abc alias weft:container',
    'addr add 169.254.0.1/32 dev s-abc scope link',
    'link set dev s-abc up',
    'route replace 10.99.3.2/32 dev s-abc src 10.99.3.1 proto 87',
    'neigh replace 10.99.3.2 lladdr 0a:58:0a:63:03:02 dev s-abc nud permanent',
  ]);
});

test("a pair's MACs are locally administered unicast ones that carry the container's address", () => {
  assert.deepEqual(pairMacs('10.99.3.2'), { host: 'aa:aa:0a:63:03:02', container: '0a:58:0a:63:03:02' });
  assert.deepEqual(pairMacs('255.0.171.16'), { host: 'aa:aa:ff:00:ab:10', container: '0a:58:ff:00:ab:10' });
  for (const mac of Object.values(pairMacs('10.99.3.2'))) {
    const first = parseInt(mac.slice(0, 2), 16);
    assert.equal(first & 0b11, 0b10, `${mac}: local bit set, multicast bit clear`);
  }
});

test('the MACs of two containers differ, and so do the two ends of one pair', () => {
  const [a, b] = [pairMacs('10.99.3.2'), pairMacs('10.99.3.3')];
  assert.equal(new Set([a.host, a.container, b.host, b.container]).size, 4);
});

test('no MAC is derived from what is not an IPv4 address', () => {
  assert.throws(() => pairMacs('10.99.3.256'), /not an IPv4 address/);
});

test('the container sends everything via 169.254.0.1 from its own address', () => {
  assert.deepEqual(containerSideBatch(container), [
    'link set dev lo up',
    'addr add 10.99.3.2/32 dev eth0',
    'link set dev eth0 up',
    'neigh replace 169.254.0.1 lladdr aa:aa:0a:63:03:02 dev eth0 nud permanent',
    'route add 169.254.0.1 dev eth0 scope link',
    'route add default via 169.254.0.1 dev eth0 src 10.99.3.2',
  ]);
});
