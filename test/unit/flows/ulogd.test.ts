import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConntrackLine, parseUlogdLine, ulogdConfig } from '../../../src/flows/ulogd.js';

// A line as ulogd 2.0.8's JSON output writes it for a logged TCP SYN (some fields left out).
const SYN = JSON.stringify({
  timestamp: '2026-11-27T20:50:00.539250',
  'oob.prefix': 'weft-denied',
  'oob.time.sec': 1795812600,
  'oob.time.usec': 539250,
  'oob.family': 2,
  'ip.protocol': 6,
  src_port: 52998,
  dest_port: 8080,
  'tcp.syn': 1,
  src_ip: '10.99.1.2',
  dest_ip: '10.99.1.3',
});

test('a logged TCP packet becomes a flow with its addresses, ports and the kernel’s time', () => {
  assert.deepEqual(parseUlogdLine(SYN, 'weft-denied'), {
    time: '2026-11-27T20:50:00.539Z',
    protocol: 'tcp',
    srcIp: '10.99.1.2',
    srcPort: 52998,
    dstIp: '10.99.1.3',
    dstPort: 8080,
  });
});

test('UDP is read as udp', () => {
  const udp = JSON.stringify({ ...JSON.parse(SYN), 'ip.protocol': 17 });
  assert.equal(parseUlogdLine(udp, 'weft-denied')?.protocol, 'udp');
});

test('lines that are not a weft denial of IPv4 TCP or UDP are ignored', () => {
  const base = JSON.parse(SYN) as Record<string, unknown>;
  const variants: unknown[] = [
    { ...base, 'oob.prefix': 'someone-else' },
    { ...base, 'ip.protocol': 1 },
    { ...base, src_ip: 'fe80::1' },
    { ...base, dest_ip: '10.99.1.3; rm -rf /' },
    { ...base, src_port: 70000 },
    { ...base, dest_port: -1 },
    { ...base, 'oob.time.sec': 'now' },
    [base],
    null,
    42,
  ];
  for (const v of variants) assert.equal(parseUlogdLine(JSON.stringify(v), 'weft-denied'), null);
  for (const junk of ['', '{', 'not json', '\u0000\u0001', '{"oob.prefix":"weft-denied"}']) {
    assert.equal(parseUlogdLine(junk, 'weft-denied'), null);
  }
});

test('ulogd reads the cell’s group and writes JSON to the cell’s socket', () => {
  const conf = ulogdConfig({
    group: 4242,
    socket: '/var/lib/weft/cell/flows/flows.sock',
    pluginDir: '/usr/lib/ulogd',
  });
  assert.match(conf, /^\[log1\]\ngroup=4242$/m);
  assert.match(conf, /^mode="unix"$/m);
  assert.match(conf, /^file="\/var\/lib\/weft\/cell\/flows\/flows.sock"$/m);
  assert.match(conf, /^stack=log1:NFLOG,base1:BASE,ip2str1:IP2STR,json1:JSON$/m);
});

test('a group out of range or a path that could break out of its quotes is refused', () => {
  const ok = { group: 4242, socket: '/run/f.sock', pluginDir: '/usr/lib/ulogd' };
  for (const group of [0, 65536, 1.5]) assert.throws(() => ulogdConfig({ ...ok, group }));
  for (const socket of ['relative.sock', '/run/a"b', '/run/a\nplugin="/x.so"', '/run/a b']) {
    assert.throws(() => ulogdConfig({ ...ok, socket }));
  }
});

// A line as ulogd 2.0.8's NFCT input and JSON output write it for a new TCP connection (seen on this kernel).
const NEW_CONNECTION = {
  timestamp: '2026-11-28T00:01:52',
  dvc: 'Netfilter',
  'orig.ip.protocol': 6,
  'orig.l4.sport': 48196,
  'orig.l4.dport': 8080,
  'reply.l4.sport': 8080,
  'reply.l4.dport': 48196,
  'ct.id': 2408328735,
  'ct.event': 1,
  'flow.start.sec': 1795824112,
  'flow.start.usec': 213637,
  'oob.family': 2,
  src_ip: '10.77.1.2',
  dest_ip: '10.77.1.3',
  'reply.ip.saddr.str': '10.77.1.3',
  'reply.ip.daddr.str': '10.77.1.2',
};

test('a conntrack event becomes a connection’s start or end, in its original direction', () => {
  assert.deepEqual(parseConntrackLine(JSON.stringify(NEW_CONNECTION)), {
    time: new Date(1795824112213).toISOString(),
    verdict: 'ALLOWED',
    protocol: 'tcp',
    srcIp: '10.77.1.2',
    srcPort: 48196,
    dstIp: '10.77.1.3',
    dstPort: 8080,
  });
  const ended = { ...NEW_CONNECTION, 'ct.event': 4, 'flow.end.sec': 1795824200, 'flow.end.usec': 0 };
  assert.equal(parseConntrackLine(JSON.stringify(ended))?.verdict, 'ENDED');
  assert.equal(parseConntrackLine(JSON.stringify(ended))?.time, new Date(1795824200000).toISOString());
});

test('conntrack lines of other events, protocols or shapes, and denied-packet lines, are not connections', () => {
  const variants = [
    { ...NEW_CONNECTION, 'ct.event': 2 },
    { ...NEW_CONNECTION, 'orig.ip.protocol': 1 },
    { ...NEW_CONNECTION, src_ip: 'fe80::1' },
    { ...NEW_CONNECTION, 'orig.l4.dport': 70000 },
    { ...NEW_CONNECTION, 'oob.prefix': 'weft-denied' },
    { ...NEW_CONNECTION, 'flow.start.sec': 1e20 },
  ];
  for (const v of variants) assert.equal(parseConntrackLine(JSON.stringify(v)), null, JSON.stringify(v));
  assert.equal(parseConntrackLine(SYN), null);
  for (const junk of ['', '[]', 'null', '{"ct.event":1}']) assert.equal(parseConntrackLine(junk), null);
});

test('with connections on, ulogd also follows conntrack events within the overlay only', () => {
  const conf = ulogdConfig({
    group: 4242,
    socket: '/run/f.sock',
    pluginDir: '/usr/lib/ulogd',
    conntrack: { overlayCidr: '10.77.0.0/16' },
  });
  // Stacks count only in [global], before the first section.
  const global = conf.split(/^\[log1\]$/m)[0] ?? '';
  assert.match(global, /^stack=ct1:NFCT,ip2str2:IP2STR,json2:JSON$/m);
  assert.match(global, /^plugin=".*ulogd_inpflow_NFCT\.so"$/m);
  assert.match(conf, /^event_mask=0x00000005$/m);
  assert.match(conf, /^accept_src_filter=10\.77\.0\.0\/16$/m);
  assert.match(conf, /^accept_dst_filter=10\.77\.0\.0\/16$/m);
  assert.throws(() =>
    ulogdConfig({
      group: 1,
      socket: '/run/f.sock',
      pluginDir: '/usr/lib/ulogd',
      conntrack: { overlayCidr: '10.0.0.0/8\nx=1' },
    }),
  );
});
