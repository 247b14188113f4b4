import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elementsOf, mergePolicies } from '../../../src/enforcer/elements.js';
import { sampleDesired } from './fixture.js';

const tcp = (startPort: number, endPort: number) => ({
  srcTag: 1,
  dstTag: 2,
  protocol: 'tcp' as const,
  startPort,
  endPort,
});

test('overlapping and touching port ranges of one src/dst/protocol merge into one range', () => {
  assert.deepEqual(mergePolicies([tcp(9005, 9020), tcp(9000, 9010), tcp(9021, 9030)]), [tcp(9000, 9030)]);
});

test('a range inside another disappears into it', () => {
  assert.deepEqual(mergePolicies([tcp(8000, 9000), tcp(8080, 8080)]), [tcp(8000, 9000)]);
});

test('ranges with a gap, or of different protocol or tags, stay apart', () => {
  const udp = { ...tcp(8080, 8080), protocol: 'udp' as const };
  const otherDst = { ...tcp(8080, 8080), dstTag: 3 };
  assert.deepEqual(mergePolicies([tcp(8080, 8080), tcp(8082, 8082), udp, otherDst]), [
    tcp(8080, 8080),
    tcp(8082, 8082),
    udp,
    otherDst,
  ]);
});

test('merging does not modify the policies it was given', () => {
  const input = [tcp(1, 5), tcp(3, 9)];
  mergePolicies(input);
  assert.deepEqual(input, [tcp(1, 5), tcp(3, 9)]);
});

test('duplicates collapse to one element each', () => {
  const d = sampleDesired();
  const doubled = {
    ...d,
    localInstances: [...d.localInstances, ...d.localInstances],
    tags: [...d.tags, ...d.tags],
    policies: [...d.policies, ...d.policies],
    hostServices: [...d.hostServices, ...d.hostServices],
    proxyForwards: [...d.proxyForwards, ...d.proxyForwards],
  };
  assert.deepEqual(elementsOf(doubled), elementsOf(d));
});

test('proxy forwards point at the gateway', () => {
  assert.deepEqual(elementsOf(sampleDesired()).proxyForwards, [
    { ip: '10.99.1.3', port: 61443, toIp: '10.99.1.1', toPort: 40001 },
  ]);
});
