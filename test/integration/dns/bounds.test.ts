// One container must not be able to starve the others of the cell's DNS: queries are rate-limited per
// source address, TCP connections are bounded per source and closed when idle, and all of it is counted.
// Loopback addresses other than 127.0.0.1 play the containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { Registry } from 'prom-client';
import { ReconcileCounts, registerCellMetrics } from '../../../src/cell/metrics.js';
import { DnsServer, type DnsServerOptions } from '../../../src/dns/server.js';
import { frame, FrameReader } from '../../../src/dns/framing.js';
import { buildZone } from '../../../src/dns/zone.js';
import { TlsProxy } from '../../../src/proxy/index.js';
import { waitFor } from '../../helpers/weft-host.js';
import { snapshot } from '../../unit/dns/fixtures.js';

const ATTACKER = '127.0.0.2';
const NEIGHBOUR = '127.0.0.3';
const NAME = 'app-b.apps.internal';
// Refills so slowly that within a test a source gets its burst and nothing more: counts are exact.
const BURST_ONLY = { perSecond: 0.001, burst: 50, maxSources: 16 };

async function started(
  t: { after(fn: () => Promise<void>): void },
  options: Partial<DnsServerOptions>,
): Promise<DnsServer> {
  const server = new DnsServer({ host: '127.0.0.1', port: 0, upstream: [], ...options });
  await server.start();
  server.setZone(buildZone(snapshot()));
  t.after(() => server.stop());
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
  const server = await started(t, { rateLimit: BURST_ONLY });
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
      Array.from({ length: perRound }, (_, i) => attacker.send(query(round * perRound + i), server.port)),
    );
    // Queries from one socket are read in order: the neighbour's answer comes after the round's flood.
    await neighbour.ask(round, server.port);
  }

  assert.equal(neighbour.replies.length, rounds);
  assert.ok(
    attacker.replies.length <= BURST_ONLY.burst,
    `the attacker got ${attacker.replies.length} answers`,
  );
  assert.equal(server.stats.rateLimited, rounds * perRound - BURST_ONLY.burst);
  assert.equal(server.stats.answered, BURST_ONLY.burst + rounds);
});

test('queries over TCP share the source’s limit', async (t) => {
  const server = await started(t, { rateLimit: BURST_ONLY });
  const attacker = await tcpClient(server.port, ATTACKER);
  t.after(() => attacker.socket.destroy());
  attacker.socket.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => frame(query(i)))));
  await until('the flood to be read', () => server.stats.tcpQueries === 100);
  assert.equal(server.stats.rateLimited, 100 - BURST_ONLY.burst);

  const neighbour = await tcpClient(server.port, NEIGHBOUR);
  t.after(() => neighbour.socket.destroy());
  neighbour.socket.write(frame(query(7)));
  await until('the neighbour’s answer', () => neighbour.replies.length === 1);
  assert.equal(attacker.replies.length, BURST_ONLY.burst);
});

test('a source holding its limit of TCP connections is refused more while another source connects', async (t) => {
  const server = await started(t, { maxTcpConnectionsPerSource: 2 });
  const held = [await tcpClient(server.port, ATTACKER), await tcpClient(server.port, ATTACKER)];
  t.after(() => held.forEach((client) => client.socket.destroy()));

  const refused = await tcpClient(server.port, ATTACKER);
  await refused.closed;
  const neighbour = await tcpClient(server.port, NEIGHBOUR);
  t.after(() => neighbour.socket.destroy());
  neighbour.socket.write(frame(query(1)));
  await until('the neighbour’s answer', () => neighbour.replies.length === 1);
  assert.equal(server.stats.tcpRefusedPerSource, 1);
  assert.equal(server.stats.tcpRefusedGlobal, 0);
});

test('idle TCP connections are closed and counted', async (t) => {
  const server = await started(t, { tcpIdleTimeoutMs: 50 });
  await (
    await tcpClient(server.port, ATTACKER)
  ).closed;
  assert.equal(server.stats.tcpIdleTimeouts, 1);
});

test('queries by result, rate limiting and TCP refusals are Prometheus counters', async (t) => {
  const server = await started(t, { rateLimit: { ...BURST_ONLY, burst: 2 }, maxTcpConnectionsPerSource: 1 });
  const registry = new Registry();
  registerCellMetrics(registry, {
    reconciles: new ReconcileCounts(),
    proxy: new TlsProxy(),
    dns: () => server,
    connected: () => true,
    revision: () => 1,
  });
  const attacker = await udpClient(ATTACKER);
  t.after(() => attacker.close());
  await attacker.ask(1, server.port);
  await attacker.ask(2, server.port);
  await attacker.send(query(3), server.port);
  await attacker.send(query(4), server.port);
  const neighbour = await udpClient(NEIGHBOUR);
  t.after(() => neighbour.close());
  await neighbour.ask(5, server.port);
  await neighbour.send(Buffer.alloc(5), server.port);
  const held = await tcpClient(server.port, NEIGHBOUR);
  t.after(() => held.socket.destroy());
  await (
    await tcpClient(server.port, NEIGHBOUR)
  ).closed;
  await until('every packet to be read', () => server.stats.udpQueries === 6);

  const text = await registry.metrics();
  for (const line of [
    '# TYPE weft_dns_queries_total counter',
    'weft_dns_queries_total{result="answered"} 3',
    'weft_dns_queries_total{result="forwarded"} 0',
    'weft_dns_queries_total{result="rate_limited"} 2',
    'weft_dns_queries_total{result="malformed"} 1',
    'weft_dns_tcp_connections_refused_total{reason="per_source_limit"} 1',
    'weft_dns_tcp_connections_refused_total{reason="global_limit"} 0',
    'weft_dns_tcp_connections_refused_total{reason="idle_timeout"} 0',
    'weft_dns_upstream_failures_total 0',
  ])
    assert.ok(text.split('\n').includes(line), `no line ${line} in\n${text}`);
});
