import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocateIp,
  cidrContains,
  cidrsOverlap,
  formatCidr,
  gatewayAddress,
  nthAddress,
  parseCidr,
  parseIpv4,
  splitOverlay,
} from '../../../src/network/cidr.js';

test('parses and formats CIDRs, including the edges of the address space', () => {
  assert.equal(formatCidr(parseCidr('10.255.0.0/16')), '10.255.0.0/16');
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
  assert.equal(formatCidr(parseCidr('255.255.255.255/32')), '255.255.255.255/32');
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
});

test('refuses malformed addresses and CIDRs', () => {
  for (const bad of [
    '10.0.0.0',
    '10.0.0/8',
    '10.0.0.256/24',
    '10.0.0.0/33',
    '10.0.0.0/8/8',
    'a.b.c.d/8',
    '10.0.0.0/',
  ]) {
    assert.throws(() => parseCidr(bad), /not an IPv4/, bad);
  }
});

test('refuses host bits and suggests the network address', () => {
  assert.throws(() => parseCidr('10.1.2.3/16'), /did you mean 10\.1\.0\.0\/16/);
});

test('tells whether a CIDR contains an address', () => {
  assert.equal(cidrContains('10.255.0.0/16', '10.255.255.53'), true);
  assert.equal(cidrContains('10.255.0.0/16', '10.254.255.255'), false);
  assert.equal(cidrContains('0.0.0.0/0', '1.2.3.4'), true);
});

test('tells whether two CIDRs overlap', () => {
  assert.equal(cidrsOverlap('10.0.0.0/8', '10.99.3.0/24'), true);
  assert.equal(cidrsOverlap('10.99.3.0/24', '10.0.0.0/8'), true);
  assert.equal(cidrsOverlap('10.99.3.0/24', '10.99.4.0/24'), false);
  assert.equal(cidrsOverlap('192.0.2.2/32', '192.0.2.2/32'), true);
});

test('splits an overlay into cell subnets in address order', () => {
  const subnets = splitOverlay('10.99.0.0/16');
  assert.equal(subnets.length, 256);
  assert.equal(subnets[0], '10.99.0.0/24');
  assert.equal(subnets[255], '10.99.255.0/24');
  assert.deepEqual(splitOverlay('10.99.0.0/24', 26), [
    '10.99.0.0/26',
    '10.99.0.64/26',
    '10.99.0.128/26',
    '10.99.0.192/26',
  ]);
  assert.throws(() => splitOverlay('10.99.0.0/24', 16), /cannot split/);
});

test('gives the nth address of a subnet and the gateway as the first host address', () => {
  assert.equal(nthAddress('10.99.3.0/24', 0), '10.99.3.0');
  assert.equal(nthAddress('10.99.3.0/24', 255), '10.99.3.255');
  assert.throws(() => nthAddress('10.99.3.0/24', 256), /no address number 256/);
  assert.equal(gatewayAddress('10.99.3.0/24'), '10.99.3.1');
});

test('allocates the lowest free address, never the network, gateway or broadcast address', () => {
  assert.equal(allocateIp('10.99.3.0/24', new Set()), '10.99.3.2');
  assert.equal(allocateIp('10.99.3.0/24', new Set(['10.99.3.2', '10.99.3.3'])), '10.99.3.4');
  assert.equal(allocateIp('10.99.3.0/30', new Set()), '10.99.3.2');
  assert.throws(() => allocateIp('10.99.3.0/30', new Set(['10.99.3.2'])), /no free address/);
});
