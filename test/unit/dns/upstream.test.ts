import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostResolvers, readHostResolvers } from '../../../src/dns/upstream.js';

test('nameserver lines become upstreams on port 53, in order', () => {
  const text = [
    '# generated',
    'search example.com',
    'nameserver 10.255.255.53',
    '  nameserver\t192.0.2.1  # backup',
    'nameserver ::1',
    'nameserver fe80::1%eth0',
    'options edns0',
  ].join('\n');
  assert.deepEqual(hostResolvers(text), [
    { host: '10.255.255.53', port: 53 },
    { host: '192.0.2.1', port: 53 },
    { host: '::1', port: 53 },
    { host: 'fe80::1%eth0', port: 53 },
  ]);
});

test('commented-out and malformed nameservers are skipped', () => {
  const text = [
    '; nameserver 192.0.2.9',
    '#nameserver 192.0.2.8',
    'nameserver',
    'nameserver dns.example',
    'nameservers 192.0.2.7',
  ].join('\n');
  assert.deepEqual(hostResolvers(text), []);
});

test('CRLF line endings are tolerated', () => {
  assert.deepEqual(hostResolvers('nameserver 192.0.2.1\r\nnameserver 192.0.2.2\r\n'), [
    { host: '192.0.2.1', port: 53 },
    { host: '192.0.2.2', port: 53 },
  ]);
});

test('the resolvers are read from a resolv.conf file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'weft-dns-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'resolv.conf');
  await writeFile(path, 'nameserver 192.0.2.53\n');
  assert.deepEqual(await readHostResolvers(path), [{ host: '192.0.2.53', port: 53 }]);
});
