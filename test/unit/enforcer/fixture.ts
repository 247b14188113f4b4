import type { EnforcerDesired } from '../../../src/enforcer/desired.js';

/** A small cell: apps 1 and 2 local, app 3 on another cell. */
export function sampleDesired(overrides: Partial<EnforcerDesired> = {}): EnforcerDesired {
  return {
    table: `weft_unit_${process.pid}`,
    ifacePrefix: 'wc',
    overlayCidr: '10.99.0.0/16',
    gatewayIp: '10.99.1.1',
    localInstances: [
      { ip: '10.99.1.2', hostIface: 'wca1' },
      { ip: '10.99.1.3', hostIface: 'wcb1' },
    ],
    tags: [
      { ip: '10.99.1.2', tag: 1 },
      { ip: '10.99.1.3', tag: 2 },
      { ip: '10.99.2.2', tag: 3 },
    ],
    policies: [
      { srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 8080, endPort: 8080 },
      { srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 9000, endPort: 9010 },
      { srcTag: 3, dstTag: 2, protocol: 'udp', startPort: 5353, endPort: 5353 },
      { srcTag: 1, dstTag: 1, protocol: 'tcp', startPort: 7000, endPort: 7000 },
    ],
    proxyForwards: [{ ip: '10.99.1.3', port: 61443, proxyPort: 40001 }],
    hostServices: [
      { protocol: 'udp', port: 53 },
      { protocol: 'tcp', port: 53 },
    ],
    exemptCgroup: { path: 'unified/weft-cell-unit', level: 1 },
    peerHosts: ['192.0.2.10', '192.0.2.11'],
    ...overrides,
  };
}
