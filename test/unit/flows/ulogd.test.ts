import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUlogdLine, ulogdConfig } from '../../../src/flows/ulogd.js';

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
