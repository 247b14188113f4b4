// One container must not be able to take the cell's shared TLS proxy for itself: connections are bounded
// per source address and in all, idle and silent ones are closed, and every refusal is counted. Loopback
// addresses other than 127.0.0.1 play the containers, as the DNAT-ed container addresses do on a cell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { Registry } from 'prom-client';
import { ReconcileCounts, registerCellMetrics } from '../../../src/cell/metrics.js';
import type { TlsProxy, TlsProxyOptions } from '../../../src/proxy/index.js';
import { waitFor } from '../../helpers/weft-host.js';
import { httpsGet, serveInstance, type ServedInstance } from './fixtures.js';

const ROUTE = 'app-b.apps.internal';
const ATTACKER = '127.0.0.2';
const NEIGHBOUR = '127.0.0.3';

async function served(t: { after(fn: () => Promise<void>): void }, options: TlsProxyOptions) {
  const instance = await serveInstance('bounded-instance', [ROUTE], options);
  t.after(() => instance.close());
  return instance;
}

/** A TLS connection from `source` with its handshake done; rejects when the proxy closes it first. */
function handshake(served: ServedInstance, source: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const tcp = tcpConnect({ host: '127.0.0.1', port: served.port, localAddress: source });
    const socket = connect({ socket: tcp, servername: ROUTE, ca: served.ca.certPem });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the handshake completed')));
  });
}

function closed(socket: { once(event: 'close', fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function silentClient(t: { after(fn: () => void): void }, instance: ServedInstance, source: string) {
  const silent = tcpConnect({ host: '127.0.0.1', port: instance.port, localAddress: source });
  t.after(() => silent.destroy());
  silent.on('error', () => undefined);
  return silent;
}

function metricsOf(proxy: TlsProxy): Promise<string> {
  const registry = new Registry();
  registerCellMetrics(registry, {
    reconciles: new ReconcileCounts(),
    proxy,
    dns: () => null,
    connected: () => true,
    revision: () => 1,
  });
  return registry.metrics();
}

function assertLines(text: string, lines: string[]): void {
  for (const line of lines) assert.ok(text.split('\n').includes(line), `no line ${line} in\n${text}`);
}

function get(served: ServedInstance, source: string) {
  return httpsGet({ port: served.port, servername: ROUTE, caPem: served.ca.certPem, localAddress: source });
}

function openConnectionsDropTo(proxy: TlsProxy, count: number): Promise<true> {
  return waitFor(
    `${count} open connections`,
    async () => ((await proxy.stats()).openConnections === count ? true : undefined),
    10_000,
    10,
  );
}

test('a source holding its limit of idle TLS connections is refused more before any handshake, while another source is served', async (t) => {
  const instance = await served(t, { maxConnectionsPerSource: 5 });
  const held: TLSSocket[] = [];
  t.after(() => held.forEach((socket) => socket.destroy()));
  for (let i = 0; i < 5; i++) held.push(await handshake(instance, ATTACKER));

  await assert.rejects(handshake(instance, ATTACKER), { code: 'ECONNRESET' });
  assert.equal((await get(instance, NEIGHBOUR)).status, 200);

  const totals = (await instance.proxy.stats()).totals;
  assert.equal(totals.refusedPerSource, 1);
  assert.equal(totals.connectionsAccepted, 6, 'the five held and the neighbour’s');
  assert.equal(totals.handshakeFailures, 0, 'the refused connection never reached TLS');

  // Slots come back as connections close: the same source is served again.
  held.splice(0).forEach((socket) => socket.destroy());
  await openConnectionsDropTo(instance.proxy, 0);
  assert.equal((await get(instance, ATTACKER)).status, 200);
});

test('connections over the proxy-wide cap are refused whatever their source', async (t) => {
  const instance = await served(t, { maxConnections: 3 });
  const held: TLSSocket[] = [];
  t.after(() => held.forEach((socket) => socket.destroy()));
  for (const source of ['127.0.0.4', '127.0.0.5', '127.0.0.6']) held.push(await handshake(instance, source));

  await assert.rejects(handshake(instance, NEIGHBOUR), { code: 'ECONNRESET' });
  assert.equal((await instance.proxy.stats()).totals.refusedGlobal, 1);
  assert.equal((await instance.proxy.stats()).totals.refusedPerSource, 0);
});

test('a connection that moves no byte either way is closed after the idle timeout, its app side too', async (t) => {
  const instance = await served(t, { idleTimeoutMs: 100 });
  const socket = await handshake(instance, ATTACKER);
  t.after(() => socket.destroy());
  socket.on('data', () => undefined);
  socket.write(`GET / HTTP/1.1\r\nHost: ${ROUTE}\r\n\r\n`);

  await closed(socket);
  assert.equal((await instance.proxy.stats()).totals.idleTimeouts, 1);
  await openConnectionsDropTo(instance.proxy, 0);
  assert.equal((await instance.proxy.stats()).instances[0]?.activeConnections, 0);
});

test('a client that connects and never sends a ClientHello is closed after the handshake timeout', async (t) => {
  const instance = await served(t, { handshakeTimeoutMs: 100 });
  await closed(silentClient(t, instance, ATTACKER));
  const totals = (await instance.proxy.stats()).totals;
  assert.equal(totals.handshakeTimeouts, 1);
  assert.equal(totals.handshakeFailures, 1);
  assert.equal(instance.backend.connections(), 0);
});

test('refusals over a limit are Prometheus counters by reason', async (t) => {
  const instance = await served(t, { maxConnectionsPerSource: 1 });
  const held = await handshake(instance, ATTACKER);
  t.after(() => held.destroy());
  await assert.rejects(handshake(instance, ATTACKER));

  assertLines(await metricsOf(instance.proxy), [
    '# TYPE weft_proxy_connections_refused_total counter',
    'weft_proxy_connections_refused_total{reason="per_source_limit"} 1',
    'weft_proxy_connections_refused_total{reason="global_limit"} 0',
    'weft_proxy_connections_refused_total{reason="handshake_timeout"} 0',
    'weft_proxy_connections_refused_total{reason="idle_timeout"} 0',
    'weft_proxy_connections_refused_total{reason="mtls"} 0',
    '# TYPE weft_proxy_connections_accepted_total counter',
    'weft_proxy_connections_accepted_total 1',
    'weft_proxy_connections_open 1',
  ]);
});

test('connections cut off by a timeout are Prometheus counters by reason', async (t) => {
  // Two proxies: a real handshake must never race a timeout as short as the one it is counted against.
  const silentOnly = await served(t, { handshakeTimeoutMs: 100 });
  await closed(silentClient(t, silentOnly, NEIGHBOUR));
  const idleOnly = await served(t, { idleTimeoutMs: 100 });
  await closed(await handshake(idleOnly, ATTACKER));
  await openConnectionsDropTo(idleOnly.proxy, 0);

  assertLines(await metricsOf(silentOnly.proxy), [
    'weft_proxy_connections_refused_total{reason="handshake_timeout"} 1',
    'weft_proxy_connections_refused_total{reason="idle_timeout"} 0',
    '# TYPE weft_proxy_handshake_failures_total counter',
    'weft_proxy_handshake_failures_total 1',
    'weft_proxy_connections_open 0',
  ]);
  assertLines(await metricsOf(idleOnly.proxy), [
    'weft_proxy_connections_refused_total{reason="idle_timeout"} 1',
    'weft_proxy_connections_refused_total{reason="handshake_timeout"} 0',
    'weft_proxy_connections_accepted_total 1',
    'weft_proxy_handshake_failures_total 0',
    'weft_proxy_connections_open 0',
  ]);
});
