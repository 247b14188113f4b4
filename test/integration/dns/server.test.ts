import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { DnsServer } from '../../../src/dns/server.js';
import { frame, FrameReader } from '../../../src/dns/framing.js';
import { buildZone } from '../../../src/dns/zone.js';
import { instance, snapshot } from '../../unit/dns/fixtures.js';
import { FakeUpstream } from './fake-upstream.js';

const run = promisify(execFile);

interface DigResult {
  status: string;
  flags: string[];
  addresses: string[];
}

/** Asks the server with the real dig, as a container's tools would. */
async function dig(port: number, name: string, ...options: string[]): Promise<DigResult> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+tries=1',
    '+time=3',
    ...options,
    name,
    'A',
  ]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NO ANSWER';
  const flags = /;; flags: ([a-z ]+);/.exec(stdout)?.[1]?.split(' ') ?? [];
  const addresses = stdout
    .split('\n')
    .filter((line) => !line.startsWith(';'))
    .map((line) => line.split(/\s+/))
    .filter((fields) => fields[3] === 'A')
    .map((fields) => fields[4] ?? '')
    .sort();
  return { status, flags, addresses };
}

const upstream = new FakeUpstream(
  { 'external.example': '192.0.2.77', 'other.example': '192.0.2.88' },
  new Set(['silent.example']),
);
let server: DnsServer;

before(async () => {
  await upstream.start();
  server = new DnsServer({
    host: '127.0.0.1',
    port: 0,
    upstream: [{ host: '127.0.0.1', port: upstream.port }],
    upstreamTimeoutMs: 300,
  });
  await server.start();
});

after(async () => {
  await server.stop();
  await upstream.stop();
});

for (const transport of ['udp', 'tcp'] as const) {
  const options = transport === 'tcp' ? ['+tcp'] : [];

  test(`${transport}: a route name answers with every running instance, authoritatively`, async () => {
    server.setZone(buildZone(snapshot()));
    const result = await dig(server.port, 'app-b.apps.internal', ...options);
    assert.equal(result.status, 'NOERROR');
    assert.ok(result.flags.includes('aa'));
    assert.deepEqual(result.addresses, ['10.250.1.2', '10.250.1.3', '10.250.2.2']);
  });

  test(`${transport}: a per-instance name answers with that instance`, async () => {
    server.setZone(buildZone(snapshot()));
    assert.deepEqual((await dig(server.port, '1.app-b.apps.internal', ...options)).addresses, ['10.250.1.3']);
  });

  test(`${transport}: an unknown internal name is NXDOMAIN`, async () => {
    server.setZone(buildZone(snapshot()));
    const result = await dig(server.port, 'ghost.apps.internal', ...options);
    assert.equal(result.status, 'NXDOMAIN');
    assert.ok(result.flags.includes('aa'));
  });

  test(`${transport}: an external name is answered by the upstream resolver`, async () => {
    const result = await dig(server.port, 'external.example', ...options);
    assert.equal(result.status, 'NOERROR');
    assert.deepEqual(result.addresses, ['192.0.2.77']);
  });

  test(`${transport}: a silent upstream turns into SERVFAIL`, async () => {
    assert.equal((await dig(server.port, 'silent.example', ...options)).status, 'SERVFAIL');
  });
}

test('a zone update is visible to the next query', async () => {
  server.setZone(buildZone(snapshot()));
  assert.equal((await dig(server.port, 'app-b.apps.internal')).addresses.length, 3);
  server.setZone(buildZone(snapshot({ instances: [instance('c', 0, '10.250.7.7')] })));
  assert.deepEqual((await dig(server.port, 'app-b.apps.internal')).addresses, ['10.250.7.7']);
  assert.equal((await dig(server.port, '1.app-b.apps.internal')).status, 'NXDOMAIN');
});

test('an answer too big for UDP is truncated and dig gets it whole over TCP', async () => {
  const many = Array.from({ length: 60 }, (_, i) => instance('b', i, `10.250.4.${i + 1}`));
  server.setZone(buildZone(snapshot({ instances: many })));
  const tcpQueriesBefore = server.stats.tcpQueries;
  const result = await dig(server.port, 'app-b.apps.internal', '+noedns');
  assert.equal(result.addresses.length, 60);
  assert.equal(server.stats.tcpQueries, tcpQueriesBefore + 1);
});

test('concurrent forwarded queries with the same id each get their own answer', async () => {
  const ask = async (name: string): Promise<unknown> => {
    const socket = dgram.createSocket('udp4');
    try {
      const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
      socket.send(
        dnsPacket.encode({ id: 7, type: 'query', questions: [{ name, type: 'A' }] }),
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

/** Opens a TCP connection to the server and collects the messages it sends back. */
async function connect(): Promise<{ socket: net.Socket; replies: Buffer[]; closed: Promise<void> }> {
  const { socket, closed } = await openConnection(server.port);
  const replies: Buffer[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => replies.push(...reader.push(chunk)));
  return { socket, replies, closed };
}

test('several queries on one TCP connection are all answered', async (t) => {
  server.setZone(buildZone(snapshot()));
  const client = await connect();
  t.after(() => client.socket.destroy());
  const query = (id: number, name: string): Buffer =>
    frame(dnsPacket.encode({ id, type: 'query', questions: [{ name, type: 'A' }] }));
  client.socket.write(
    Buffer.concat([
      query(1, 'app-b.apps.internal'),
      query(2, 'ghost.apps.internal'),
      query(3, 'external.example'),
    ]),
  );
  while (client.replies.length < 3) await new Promise((resolve) => client.socket.once('data', resolve));
  assert.deepEqual(client.replies.map((reply) => reply.readUInt16BE(0)).sort(), [1, 2, 3]);
});

test('garbage over UDP and TCP is survived and valid queries are still answered', async () => {
  server.setZone(buildZone(snapshot()));
  const socket = dgram.createSocket('udp4');
  const garbage = [
    Buffer.alloc(0),
    Buffer.alloc(5, 0xff),
    Buffer.from('c00c0001', 'hex'),
    Buffer.alloc(600, 0x3f),
  ];
  await Promise.all(
    garbage.map((packet) => new Promise((resolve) => socket.send(packet, server.port, '127.0.0.1', resolve))),
  );
  socket.close();
  const client = await connect();
  client.socket.end(
    Buffer.concat([...garbage.map((packet) => frame(withHeaderLength(packet))), Buffer.from([0xff])]),
  );
  await client.closed;
  assert.deepEqual((await dig(server.port, 'app-b.apps.internal')).addresses.length, 3);
  assert.ok(server.stats.malformed >= garbage.length);
});

function withHeaderLength(packet: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(12), packet]);
}

async function openConnection(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, closed };
}

test('TCP connections beyond the cap are refused', async (t) => {
  const capped = new DnsServer({ host: '127.0.0.1', port: 0, upstream: [], maxTcpConnections: 1 });
  await capped.start();
  t.after(() => capped.stop());
  const first = await openConnection(capped.port);
  t.after(() => first.socket.destroy());
  const second = await openConnection(capped.port);
  await second.closed;
  assert.equal(capped.stats.tcpRefusedGlobal, 1);
  assert.equal(first.socket.destroyed, false);
});

test('idle TCP connections are closed', async (t) => {
  const impatient = new DnsServer({ host: '127.0.0.1', port: 0, upstream: [], tcpIdleTimeoutMs: 50 });
  await impatient.start();
  t.after(() => impatient.stop());
  await (
    await openConnection(impatient.port)
  ).closed;
});

test('a misconfigured upstream answers SERVFAIL instead of crashing the server', async (t) => {
  const misconfigured = new DnsServer({
    host: '127.0.0.1',
    port: 0,
    upstream: [{ host: '127.0.0.1', port: 0 }],
  });
  await misconfigured.start();
  t.after(() => misconfigured.stop());
  assert.equal((await dig(misconfigured.port, 'external.example')).status, 'SERVFAIL');
  assert.equal((await dig(misconfigured.port, 'external.example', '+tcp')).status, 'SERVFAIL');
});
