// The resync's comparison of the live table with what was applied: any element or rule that differs is
// drift; handles and counters, which change on their own, are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driftOf } from '../../../src/enforcer/drift.js';
import { elementsOf, indexRendered, renderTexts } from '../../../src/enforcer/elements.js';
import type { EnforcerDesired } from '../../../src/enforcer/desired.js';
import { rulesFingerprint } from '../../../src/enforcer/readback.js';

const desired: EnforcerDesired = {
  table: 'weft_test',
  ifacePrefix: 'wtc',
  overlayCidr: '10.99.0.0/16',
  gatewayIp: '10.99.1.1',
  localInstances: [{ ip: '10.99.1.2', hostIface: 'wtc1' }],
  tags: [{ ip: '10.99.1.2', tag: 1 }],
  policies: [{ srcTag: 1, dstTag: 1, protocol: 'tcp', startPort: 8080, endPort: 8080 }],
  proxyForwards: [],
  hostServices: [{ protocol: 'udp', port: 53 }],
  exemptCgroup: { path: 'unified/weft-cell-weft_test-1', level: 1 },
  peerHosts: [],
};

const listing = (handle: number, packets: number) => ({
  nftables: [
    { metainfo: { version: '1.0.6' } },
    { table: { family: 'inet', name: 'weft_test', handle } },
    {
      rule: {
        chain: 'c',
        handle: handle + 1,
        expr: [{ counter: { packets, bytes: packets * 60 } }, { accept: null }],
      },
    },
  ],
});

test('the same elements and rules are no drift; a missing element, a changed rule or no table are', () => {
  const elements = elementsOf(desired);
  const applied = { rendered: indexRendered(renderTexts(elements)), rules: 'R' };
  assert.deepEqual(driftOf({ elements, rules: 'R' }, applied), []);
  assert.deepEqual(driftOf({ elements: { ...elements, tcpPorts: [] }, rules: 'R' }, applied), ['tcpPorts']);
  assert.deepEqual(driftOf({ elements, rules: 'R2' }, applied), ['rules']);
  assert.deepEqual(driftOf(null, applied), ['table']);
});

test('a rules fingerprint ignores handles and counters but not the rules themselves', () => {
  assert.equal(rulesFingerprint(listing(1, 0)), rulesFingerprint(listing(7, 99)));
  const edited = listing(1, 0);
  edited.nftables[2] = { rule: { chain: 'c', handle: 2, expr: [{ accept: null }] } };
  assert.notEqual(rulesFingerprint(edited), rulesFingerprint(listing(1, 0)));
});
