// The cell's DNS is unbound fed from the zone: what containers ask, asked with the real dig.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { buildZone } from '../../../src/dns/zone.js';
import { frame, FrameReader } from '../../helpers/dns-framing.js';
import { instance, snapshot } from '../../unit/dns/fixtures.js';
import { FakeUpstream } from './fake-upstream.js';
import { startDns, type Started } from './unbound-harness.js';

const run = promisify(execFile);

interface DigResult {
  status: string;
  flags: string[];
  addresses: string[];
  authority: string[];
}

/** Asks with the real dig, as a container's tools would. */
async function dig(port: number, name: string, ...options: string[]): Promise<DigResult> {
  const type = options.find((o) => /^[A-Z]+$/.test(o)) ?? 'A';
  const flags = options.filter((o) => !/^[A-Z]+$/.test(o));
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+tries=1',
    '+time=5',
    ...flags,
    name,
    type,
  ]);
  const records = stdout
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(';'))
    .map((line) => line.split(/\s+/));
  return {
    status: /status: (\w+)/.exec(stdout)?.[1] ?? 'NO ANSWER',
    flags: /;; flags: ([a-z ]+);/.exec(stdout)?.[1]?.split(' ') ?? [],
    addresses: records
      .filter((fields) => fields[3] === 'A')
      .map((fields) => fields[4] ?? '')
      .sort(),
    authority: records.filter((fields) => fields[3] === 'SOA').map((fields) => fields[0] ?? ''),
  };
}

const upstream = new FakeUpstream({ 'external.example': '192.0.2.77', 'other.example': '192.0.2.88' });
let server: Started;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  await upstream.start();
  server = await startDns(
    { after: (fn) => void cleanups.push(fn) },
    { upstream: [{ host: '127.0.0.1', port: upstream.port }] },
  );
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await upstream.stop();
});

for (const transport of ['udp', 'tcp'] as const) {
  const options = transport === 'tcp' ? ['+tcp'] : [];

  test(`${transport}: a route name answers with every running instance, authoritatively`, async () => {
    await server.dns.setZone(buildZone(snapshot()));
    const result = await dig(server.port, 'app-b.apps.internal', ...options);
    assert.equal(result.status, 'NOERROR');
    assert.ok(result.flags.includes('aa'));
    assert.deepEqual(result.addresses, ['10.250.1.2', '10.250.1.3', '10.250.2.2']);
  });

  test(`${transport}: a per-instance name answers with that instance`, async () => {
    await server.dns.setZone(buildZone(snapshot()));
    assert.deepEqual((await dig(server.port, '1.app-b.apps.internal', ...options)).addresses, ['10.250.1.3']);
  });

  test(`${transport}: an unknown internal name is NXDOMAIN with the zone's SOA`, async () => {
    await server.dns.setZone(buildZone(snapshot()));
    const result = await dig(server.port, 'ghost.apps.internal', ...options);
    assert.equal(result.status, 'NXDOMAIN');
    assert.ok(result.flags.includes('aa'));
    assert.deepEqual(result.authority, ['apps.internal.']);
  });

  test(`${transport}: an external name is answered by the upstream resolver`, async () => {
    const result = await dig(server.port, 'external.example', ...options);
    assert.equal(result.status, 'NOERROR');
    assert.deepEqual(result.addresses, ['192.0.2.77']);
  });
}

test('a name that exists has no data of another type: NODATA, not NXDOMAIN', async () => {
  await server.dns.setZone(buildZone(snapshot()));
  for (const name of ['app-b.apps.internal', '0.app-b.apps.internal']) {
    const result = await dig(server.port, name, 'AAAA');
    assert.equal(result.status, 'NOERROR', name);
    assert.deepEqual(result.addresses, []);
    assert.deepEqual(result.authority, ['apps.internal.']);
  }
  const apex = await dig(server.port, 'apps.internal');
  assert.equal(apex.status, 'NOERROR');
  assert.deepEqual(apex.addresses, []);
});

test('an index no instance has is NXDOMAIN', async () => {
  await server.dns.setZone(buildZone(snapshot()));
  assert.equal((await dig(server.port, '7.app-b.apps.internal')).status, 'NXDOMAIN');
});

test('a zone update is visible to the next query', async () => {
  await server.dns.setZone(buildZone(snapshot()));
  assert.equal((await dig(server.port, 'app-b.apps.internal')).addresses.length, 3);
  await server.dns.setZone(buildZone(snapshot({ instances: [instance('c', 0, '10.250.7.7')] })));
  assert.deepEqual((await dig(server.port, 'app-b.apps.internal')).addresses, ['10.250.7.7']);
  assert.equal((await dig(server.port, '1.app-b.apps.internal')).status, 'NXDOMAIN');
  await server.dns.setZone(buildZone(snapshot()));
  assert.equal((await dig(server.port, 'app-b.apps.internal')).addresses.length, 3);
  assert.deepEqual((await dig(server.port, '1.app-b.apps.internal')).addresses, ['10.250.1.3']);
});

test('an internal domain added or removed is served or forwarded from the next query', async () => {
  const web = { guid: 'domain-web', name: 'web.internal', internal: true };
  const route = { guid: 'route-web', spaceGuid: null, host: 'shop', domainGuid: web.guid, appGuids: ['b'] };
  const base = snapshot();
  await server.dns.setZone(
    buildZone({ ...base, domains: [...base.domains, web], routes: [...base.routes, route] }),
  );
  assert.equal((await dig(server.port, 'shop.web.internal')).addresses.length, 2);
  assert.equal((await dig(server.port, 'ghost.web.internal')).status, 'NXDOMAIN');
  await server.dns.setZone(buildZone(base));
  const forwarded = upstream.queries.length;
  // No longer internal: the upstream is asked and says NXDOMAIN, without the zone's authority.
  const gone = await dig(server.port, 'shop.web.internal');
  assert.equal(gone.status, 'NXDOMAIN');
  assert.ok(!gone.flags.includes('aa'));
  assert.equal(upstream.queries.length, forwarded + 1);
});

test('an answer too big for UDP is truncated and dig gets it whole over TCP', async () => {
  const many = Array.from({ length: 60 }, (_, i) => instance('b', i, `10.250.4.${i + 1}`));
  await server.dns.setZone(buildZone(snapshot({ instances: many })));
  const tcpBefore = (await server.dns.stats()).tcpQueries;
  const result = await dig(server.port, 'app-b.apps.internal', '+noedns');
  assert.equal(result.addresses.length, 60);
  assert.equal((await server.dns.stats()).tcpQueries, tcpBefore + 1);
});

test('concurrent forwarded queries with the same id each get their own answer', async () => {
  const ask = async (name: string): Promise<unknown> => {
    const socket = dgram.createSocket('udp4');
    try {
      const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
      socket.send(
        dnsPacket.encode({
          id: 7,
          type: 'query',
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ name, type: 'A' }],
        }),
        server.port,
        '127.0.0.1',
      );
      const decoded = dnsPacket.decode(await reply);
      assert.equal(decoded.id, 7);
      return decoded.answers?.[0]?.type === 'A' ? decoded.answers[0].data : undefined;
    } finally {
      socket.close();
    }
  };
  assert.deepEqual(await Promise.all([ask('external.example'), ask('other.example')]), [
    '192.0.2.77',
    '192.0.2.88',
  ]);
});

test('several queries on one TCP connection are all answered', async (t) => {
  await server.dns.setZone(buildZone(snapshot()));
  const socket = net.connect(server.port, '127.0.0.1');
  t.after(() => socket.destroy());
  const replies: Buffer[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => replies.push(...reader.push(chunk)));
  const query = (id: number, name: string): Buffer =>
    frame(
      dnsPacket.encode({
        id,
        type: 'query',
        flags: dnsPacket.RECURSION_DESIRED,
        questions: [{ name, type: 'A' }],
      }),
    );
  socket.write(
    Buffer.concat([
      query(1, 'app-b.apps.internal'),
      query(2, 'ghost.apps.internal'),
      query(3, 'external.example'),
    ]),
  );
  while (replies.length < 3) await new Promise((resolve) => socket.once('data', resolve));
  assert.deepEqual(replies.map((reply) => reply.readUInt16BE(0)).sort(), [1, 2, 3]);
});

test('a query from outside the networks that may ask is refused', async () => {
  await server.dns.setZone(buildZone(snapshot()));
  const refusedBefore = (await server.dns.stats()).refused;
  for (const source of ['127.0.0.9', '127.1.2.3']) {
    const result = await dig(server.port, 'app-b.apps.internal', '-b', source);
    assert.equal(result.status, 'REFUSED', source);
    assert.deepEqual(result.addresses, []);
  }
  assert.equal((await dig(server.port, 'external.example', '-b', '127.0.0.9')).status, 'REFUSED');
  assert.equal((await server.dns.stats()).refused, refusedBefore + 3);
});
