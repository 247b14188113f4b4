import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowGroups, flowsToEnd, mayEndFlows, parseConntrackListing } from '../../../src/enforcer/flows.js';
import type { Flow } from '../../../src/enforcer/flows.js';
import { sampleDesired } from './fixture.js';

const LISTING = `ipv4     2 tcp      6 431999 ESTABLISHED src=10.99.1.2 dst=10.99.1.3 sport=40000 dport=8080 src=10.99.1.3 dst=10.99.1.2 sport=8080 dport=40000 [ASSURED] mark=0 use=1
ipv4     2 tcp      6 431999 ESTABLISHED src=10.99.1.2 dst=10.99.1.3 sport=40001 dport=61443 src=10.99.1.1 dst=10.99.1.2 sport=40001 dport=40001 [ASSURED] mark=0 use=1
ipv4     2 udp      17 24 src=10.99.2.2 dst=10.99.1.3 sport=56801 dport=5353 [UNREPLIED] src=10.99.1.3 dst=10.99.2.2 sport=5353 dport=56801 mark=0 use=1
ipv4     2 unknown  2 595 src=10.99.1.2 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=10.99.1.2 mark=0 use=1
ipv4     2 icmp     1 29 src=10.99.1.2 dst=10.99.1.3 type=8 code=0 id=7 src=10.99.1.3 dst=10.99.1.2 type=0 code=0 id=7 mark=0 use=1
ipv4     2 tcp      6 119 TIME_WAIT src=10.99.1.2 dst=10.99.1.3 sport=40002 dport=8080 src=10.99.1.3 dst=10.99.1.2 sport=8080 dport=40002 [ASSURED] mark=0 use=1
ipv6     10 tcp      6 119 TIME_WAIT src=fd00::2 dst=fd00::1 sport=1 dport=2 src=fd00::1 dst=fd00::2 sport=2 dport=1 mark=0 use=1
`;

function flow(src: string, dst: string, dport: number, protocol: Flow['protocol'] = 'tcp'): Flow {
  return { protocol, src, dst, sport: 40000, dport };
}

test('conntrack listing yields the original tuple of live IPv4 TCP and UDP flows only', () => {
  assert.deepEqual(parseConntrackListing(LISTING), [
    { protocol: 'tcp', src: '10.99.1.2', dst: '10.99.1.3', sport: 40000, dport: 8080 },
    { protocol: 'tcp', src: '10.99.1.2', dst: '10.99.1.3', sport: 40001, dport: 61443 },
    { protocol: 'udp', src: '10.99.2.2', dst: '10.99.1.3', sport: 56801, dport: 5353 },
  ]);
});

test('flows a policy still allows are kept, including inside a port range', () => {
  const flows = [flow('10.99.1.2', '10.99.1.3', 8080), flow('10.99.1.2', '10.99.1.3', 9010)];
  assert.deepEqual(flowsToEnd(flows, sampleDesired()), []);
});

test('flows no policy allows are ended: wrong port, wrong protocol, reverse direction', () => {
  const flows = [
    flow('10.99.1.2', '10.99.1.3', 9011),
    flow('10.99.1.2', '10.99.1.3', 8080, 'udp'),
    flow('10.99.1.3', '10.99.1.2', 8080),
  ];
  assert.deepEqual(flowsToEnd(flows, sampleDesired()), flows);
});

test('after a policy is removed its flows are ended and others stay', () => {
  const d = sampleDesired();
  const next = { ...d, policies: d.policies.filter((p) => p.startPort !== 9000) };
  const kept = flow('10.99.1.2', '10.99.1.3', 8080);
  const cut = flow('10.99.1.2', '10.99.1.3', 9005);
  assert.deepEqual(flowsToEnd([kept, cut], next), [cut]);
});

test('flows to a proxied port are judged by their original destination port', () => {
  const d = sampleDesired();
  const toProxy = flow('10.99.1.2', '10.99.1.3', 61443);
  assert.deepEqual(flowsToEnd([toProxy], d), [toProxy]);
  const withPolicy = {
    ...d,
    policies: [
      ...d.policies,
      { srcTag: 1, dstTag: 2, protocol: 'tcp' as const, startPort: 61443, endPort: 61443 },
    ],
  };
  assert.deepEqual(flowsToEnd([toProxy], withPolicy), []);
});

test('flows to and from the gateway or outside the overlay are left alone', () => {
  const flows = [
    flow('10.99.1.2', '10.99.1.1', 53, 'udp'),
    flow('10.99.1.1', '10.99.1.3', 8080),
    flow('192.0.2.2', '10.255.255.53', 53, 'udp'),
  ];
  assert.deepEqual(flowsToEnd(flows, sampleDesired()), []);
});

test('flows of an address that lost its tag are ended', () => {
  const d = sampleDesired();
  const next = { ...d, tags: d.tags.filter((t) => t.ip !== '10.99.2.2') };
  const fromGone = flow('10.99.2.2', '10.99.1.3', 5353, 'udp');
  assert.deepEqual(flowsToEnd([fromGone], d), []);
  assert.deepEqual(flowsToEnd([fromGone], next), [fromGone]);
});

test('only removals of policies or tags call for a conntrack sweep', () => {
  const d = sampleDesired();
  assert.equal(mayEndFlows(null, d), true);
  assert.equal(mayEndFlows(d, d), false);
  assert.equal(
    mayEndFlows(d, { ...d, policies: [...d.policies, { ...d.policies[0]!, startPort: 1, endPort: 2 }] }),
    false,
  );
  assert.equal(mayEndFlows(d, { ...d, policies: d.policies.slice(1) }), true);
  assert.equal(mayEndFlows(d, { ...d, tags: d.tags.slice(1) }), true);
  assert.equal(mayEndFlows(d, { ...d, tags: d.tags.map((t) => ({ ...t, tag: t.tag + 10 })) }), true);
  assert.equal(mayEndFlows(d, { ...d, gatewayIp: '10.99.1.254' }), true);
});

test('flows that differ only in source port are ended by one deletion', () => {
  const flows = [40000, 40001, 40002].map((sport) => ({ ...flow('10.99.1.2', '10.99.1.3', 8080), sport }));
  assert.deepEqual(flowGroups([...flows, flow('10.99.1.2', '10.99.1.3', 8081)]), [
    { protocol: 'tcp', src: '10.99.1.2', dst: '10.99.1.3', dport: 8080 },
    { protocol: 'tcp', src: '10.99.1.2', dst: '10.99.1.3', dport: 8081 },
  ]);
});
