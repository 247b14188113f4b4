// One container must not be able to starve the others of the cell's DNS: unbound limits each source's
// queries per second and TCP connections, closes idle connections, and counts what it did.
// Loopback addresses other than 127.0.0.1 play the containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { Registry } from 'prom-client';
import { ReconcileCounts, registerCellMetrics } from '../../../src/cell/metrics.js';
import { DEFAULT_DNS_LIMITS, type DnsLimits } from '../../../src/dns/unbound/config.js';
import { buildZone } from '../../../src/dns/zone.js';
import { TlsProxy } from '../../../src/proxy/index.js';
import { frame, FrameReader } from '../../helpers/dns-framing.js';
import { waitFor } from '../../helpers/weft-host.js';
import { snapshot } from '../../unit/dns/fixtures.js';
import { startDns, type Started } from './unbound-harness.js';

const ATTACKER = '127.0.0.2';
const NEIGHBOUR = '127.0.0.3';
const NAME = 'app-b.apps.internal';

async function started(
  t: { after(fn: () => Promise<void>): void },
  limits: Partial<DnsLimits>,
): Promise<Started> {
  const server = await startDns(t, { limits: { ...DEFAULT_DNS_LIMITS, ...limits } });
  await server.dns.setZone(buildZone(snapshot()));
  return server;
}

function query(id: number): Buffer {
  return dnsPacket.encode({ id, type: 'query', questions: [{ name: NAME, type: 'A' }] });
}

/** A UDP client bound to `source` that counts the replies it gets. */
async function udpClient(source: string) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, source, resolve));
  const replies: number[] = [];
  const waiting = new Map<number, () => void>();
  socket.on('message', (message: Buffer) => {
    const id = message.readUInt16BE(0);
    replies.push(id);
    waiting.get(id)?.();
  });
  return {
    replies,
    send: (packet: Buffer, port: number) =>
      new Promise<void>((resolve, reject) =>
        socket.send(packet, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      ),
    /** Sends a query and waits for its answer. */
    ask(id: number, port: number): Promise<void> {
      const answered = new Promise<void>((resolve) => waiting.set(id, resolve));
      return this.send(query(id), port).then(() => answered);
    },
    close: () => socket.close(),
  };
}

async function tcpClient(port: number, source: string) {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: source });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const replies: Buffer[] = [];
  const reader = new FrameReader();
  socket.on('data', (chunk: Buffer) => replies.push(...reader.push(chunk)));
  // A refused connection can be reset before its connect completes on this side.
  await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed]);
  return { socket, closed, replies };
}

function until(what: string, condition: () => boolean): Promise<true> {
  return waitFor(what, () => (condition() ? true : undefined), 10_000, 10);
}

test('one source flooding over UDP is rate-limited while another source’s lookups are all answered', async (t) => {
  const { dns, port } = await started(t, { queriesPerSecond: 100 });
  const attacker = await udpClient(ATTACKER);
  const neighbour = await udpClient(NEIGHBOUR);
  t.after(() => {
    attacker.close();
    neighbour.close();
  });

  const rounds = 40;
  const perRound = 50;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      Array.from({ length: perRound }, (_, i) => attacker.send(query(round * perRound + i), port)),
    );
    // unbound reads its socket in order: the neighbour's answer comes after the round's flood.
    await neighbour.ask(round, port);
  }

  const stats = await dns.stats();
  t.diagnostic(`the attacker got ${attacker.replies.length} of ${rounds * perRound} answered`);
  assert.equal(neighbour.replies.length, rounds);
  assert.ok(attacker.replies.length < (rounds * perRound) / 2, `the attacker got ${attacker.replies.length}`);
  assert.equal(stats.rateLimited, rounds * perRound - attacker.replies.length);
  assert.equal(stats.answered, attacker.replies.length + rounds);
});

test('a source holding its limit of TCP connections is refused more while another source connects', async (t) => {
  const { port } = await started(t, { tcpConnectionsPerSource: 2 });
  const held = [await tcpClient(port, ATTACKER), await tcpClient(port, ATTACKER)];
  t.after(() => held.forEach((client) => client.socket.destroy()));

  const refused = await tcpClient(port, ATTACKER);
  await refused.closed;
  const neighbour = await tcpClient(port, NEIGHBOUR);
  t.after(() => neighbour.socket.destroy());
  neighbour.socket.write(frame(query(1)));
  await until('the neighbour’s answer', () => neighbour.replies.length === 1);
  assert.equal(held.filter((client) => client.socket.destroyed).length, 0);
});

test('idle TCP connections are closed', async (t) => {
  const { port } = await started(t, { tcpIdleTimeoutMs: 200 });
  await (
    await tcpClient(port, ATTACKER)
  ).closed;
});

test('queries by result, rate limiting and refusals are Prometheus counters', async (t) => {
  const { dns, port } = await started(t, { queriesPerSecond: 2 });
  const registry = new Registry();
  registerCellMetrics(registry, {
    reconciles: new ReconcileCounts(),
    proxy: new TlsProxy(),
    dns: () => dns,
    connected: () => true,
    revision: () => 1,
  });
  const attacker = await udpClient(ATTACKER);
  t.after(() => attacker.close());
  for (let id = 1; id <= 10; id++) await attacker.send(query(id), port);
  const neighbour = await udpClient(NEIGHBOUR);
  t.after(() => neighbour.close());
  await neighbour.ask(100, port);
  const outsider = await udpClient('127.0.0.9');
  t.after(() => outsider.close());
  await outsider.ask(200, port);
  await until('the flood to be read', () => attacker.replies.length > 0);
  const stats = await dns.stats();
  // unbound counts a refused query apart, not among the queries it took in.
  assert.equal(stats.queries, 11);

  const text = await registry.metrics();
  for (const line of [
    '# TYPE weft_dns_queries_total counter',
    `weft_dns_queries_total{result="answered"} ${attacker.replies.length + 1}`,
    'weft_dns_queries_total{result="forwarded"} 0',
    `weft_dns_queries_total{result="rate_limited"} ${10 - attacker.replies.length}`,
    'weft_dns_queries_total{result="refused"} 1',
    'weft_dns_upstream_failures_total 0',
    'weft_dns_tcp_connections_open 0',
  ])
    assert.ok(text.split('\n').includes(line), `no line ${line} in\n${text}`);
});
