import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTableElements } from '../../../src/enforcer/readback.js';

// Shaped like `nft -j list table inet T` from nftables 1.0.6.
const LISTED = {
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'weft', handle: 1 } },
    {
      set: {
        family: 'inet',
        name: 'spoof',
        table: 'weft',
        type: ['ifname', 'ipv4_addr'],
        elem: [{ concat: ['wca1', '10.99.1.2'] }],
      },
    },
    {
      map: {
        family: 'inet',
        name: 'tags',
        table: 'weft',
        type: 'ipv4_addr',
        map: 'mark',
        elem: [
          ['10.99.1.2', 1],
          ['10.99.1.3', 2],
        ],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'tcp_ports',
        table: 'weft',
        type: ['mark', 'mark', 'inet_service'],
        elem: [{ concat: [1, 2, 8080] }],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'udp_ranges',
        table: 'weft',
        type: ['mark', 'mark', 'inet_service'],
        flags: ['interval'],
        elem: [{ concat: [1, 2, { range: [9000, 9010] }] }],
      },
    },
    { set: { family: 'inet', name: 'host_services', table: 'weft', type: ['inet_proto', 'inet_service'] } },
    {
      map: {
        family: 'inet',
        name: 'proxy',
        table: 'weft',
        type: ['ipv4_addr', 'inet_service'],
        map: 'ipv4_addr . inet_service',
        elem: [[{ concat: ['10.99.1.3', 61443] }, { concat: ['10.99.1.1', 40001] }]],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'peer_hosts',
        table: 'weft',
        type: 'ipv4_addr',
        elem: ['192.0.2.10', '192.0.2.11'],
      },
    },
    { chain: { family: 'inet', table: 'weft', name: 'check_policy', handle: 6 } },
  ],
};

test('nft JSON reads back as elements; a set with no elem field is empty', () => {
  assert.deepEqual(parseTableElements(LISTED), {
    antiSpoof: [{ iface: 'wca1', ip: '10.99.1.2' }],
    tags: [
      { ip: '10.99.1.2', tag: 1 },
      { ip: '10.99.1.3', tag: 2 },
    ],
    tcpPorts: [{ srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 8080, endPort: 8080 }],
    udpPorts: [],
    tcpRanges: [],
    udpRanges: [{ srcTag: 1, dstTag: 2, protocol: 'udp', startPort: 9000, endPort: 9010 }],
    hostServices: [],
    proxyForwards: [{ ip: '10.99.1.3', port: 61443, toIp: '10.99.1.1', toPort: 40001 }],
    peerHosts: [{ ip: '192.0.2.10' }, { ip: '192.0.2.11' }],
  });
});

test('elements wrapped with attributes are unwrapped', () => {
  const wrapped = {
    nftables: [
      { set: { name: 'host_services', elem: [{ elem: { val: { concat: ['udp', 53] }, counter: {} } }] } },
    ],
  };
  assert.deepEqual(parseTableElements(wrapped).hostServices, [{ protocol: 'udp', port: 53 }]);
});

test('an unexpected shape is an error, not a silently empty set', () => {
  const broken = { nftables: [{ map: { name: 'tags', elem: [{ concat: ['10.99.1.2'] }] } }] };
  assert.throws(() => parseTableElements(broken), /unexpected map entry/);
  assert.throws(() => parseTableElements({ error: 'x' }), /unexpected document/);
});
