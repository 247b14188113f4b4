import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerQuestion } from '../../../src/cell/answers.js';
import type { EnforcerElements } from '../../../src/enforcer/elements.js';

const live: EnforcerElements = {
  antiSpoof: [],
  tags: [
    { ip: '10.1.1.2', tag: 1 },
    { ip: '10.1.1.3', tag: 2 },
  ],
  tcpPorts: [{ srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 8080, endPort: 8080 }],
  udpPorts: [],
  tcpRanges: [{ srcTag: 2, dstTag: 1, protocol: 'tcp', startPort: 9000, endPort: 9100 }],
  udpRanges: [],
  hostServices: [],
  proxyForwards: [],
  peerHosts: [],
};

const flow = (srcIp: string, dstIp: string, port: number, protocol: 'tcp' | 'udp' = 'tcp') => ({
  srcIp,
  dstIp,
  protocol,
  port,
});

test('a flow is admitted only when both addresses carry tags and a live element covers the port', () => {
  const a = answerQuestion(
    live,
    {
      flows: [
        flow('10.1.1.2', '10.1.1.3', 8080),
        flow('10.1.1.3', '10.1.1.2', 9050),
        flow('10.1.1.2', '10.1.1.3', 8081),
        flow('10.1.1.2', '10.1.1.3', 8080, 'udp'),
        flow('10.1.1.9', '10.1.1.3', 8080),
      ],
      certificates: [],
    },
    () => null,
  );
  assert.deepEqual(
    a.flows.map((f) => [f.admitted, f.srcTag, f.dstTag]),
    [
      [true, 1, 2],
      [true, 2, 1],
      [false, 1, 2],
      [false, 1, 2],
      [false, null, 2],
    ],
  );
});

test('certificates are answered with the names served, or null for an instance not served here', () => {
  const a = answerQuestion(live, { flows: [], certificates: ['i1', 'i2'] }, (g) =>
    g === 'i1' ? ['b.apps.internal'] : null,
  );
  assert.deepEqual(a.certificates, [
    { instanceGuid: 'i1', names: ['b.apps.internal'] },
    { instanceGuid: 'i2', names: null },
  ]);
});
