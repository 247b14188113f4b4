// Clients that hold the server's connections without finishing a request (slowloris and its kin) are cut
// off by the server's timeouts, and the connection cap holds while they sit there. Timeouts are set
// small here; every wait is bounded by a multiple of them, never a measure of speed.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { watch } from '../../helpers/watch.js';

const HEADERS_TIMEOUT_S = 1;
const REQUEST_TIMEOUT_S = 2;
const KEEP_ALIVE_TIMEOUT_S = 2;
const IDLE_TIMEOUT_S = 2;
const MAX_CONNECTIONS = 6;
/** How long the server lingers on a refused client that stays quiet (src/api/client-errors.ts). */
const LINGER_IDLE_S = 5;

/** A raw TLS connection that records what the server sends and whether it has hung up. */
interface RawClient {
  socket: net.Socket;
  received(): string;
  /** Resolves when the server ends its side; rejects after `ms`. */
  ended(ms: number): Promise<void>;
  close(): void;
}

function connect(server: TestServer): RawClient {
  const { hostname, port } = new URL(server.url);
  // Half-open: the client goes on sending after the server has hung up its side, as an attacker may.
  const tcp = net.connect({ port: Number(port), host: hostname, allowHalfOpen: true });
  const socket = tls.connect({ socket: tcp, host: hostname, ca: server.caPem });
  socket.setEncoding('utf8');
  let text = '';
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  return {
    socket,
    received: () => text,
    ended: (ms) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not cut off within ${ms} ms`)), ms);
        void ended.then(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    close: () => socket.destroy(),
  };
}

/** Writes `text` one byte every `everyMs` until the socket closes or the text runs out. */
function dribble(client: RawClient, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (client.socket.destroyed || client.socket.writableEnded || i >= text.length) return;
    client.socket.write(text.charAt(i++));
  }, everyMs);
  return () => clearInterval(timer);
}

function statusAndError(raw: string): { status: number; error: string } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), error: (JSON.parse(body) as { error: string }).error };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('slow clients', () => {
  let server: TestServer;
  let clients: RawClient[] = [];
  let stops: (() => void)[] = [];
  /** Each test hangs up its own clients, so none holds a connection into the next. */
  afterEach(() => {
    stops.forEach((stop) => stop());
    clients.forEach((c) => c.close());
    [stops, clients] = [[], []];
  });
  before(async () => {
    server = await startServer({
      flags: [
        '--headers-timeout',
        String(HEADERS_TIMEOUT_S),
        '--request-timeout',
        String(REQUEST_TIMEOUT_S),
        '--keep-alive-timeout',
        String(KEEP_ALIVE_TIMEOUT_S),
        '--idle-timeout',
        String(IDLE_TIMEOUT_S),
        '--max-connections',
        String(MAX_CONNECTIONS),
      ],
    });
  });
  after(() => server?.stop());

  test('a client sending its headers one byte at a time is cut off with a 408', async () => {
    const client = connect(server);
    clients.push(client);
    stops.push(dribble(client, `GET /v1/info HTTP/1.1\r\nHost: weft\r\nX-Slow: ${'x'.repeat(10_000)}`, 50));
    await client.ended(2 * HEADERS_TIMEOUT_S * 1000);
    const answer = statusAndError(client.received());
    assert.equal(answer.status, 408);
    assert.match(answer.error, /not received in time/);
  });

  test('a client that sends its headers, then its body slowly, is cut off and its request never runs', async () => {
    const client = connect(server);
    clients.push(client);
    const body = JSON.stringify({ name: 'slow-org' });
    client.socket.write(
      `POST /v1/orgs HTTP/1.1\r\nHost: weft\r\nAuthorization: Bearer ${server.adminToken}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    // The whole body arrives, but only after the request timeout has passed.
    const started = Date.now();
    stops.push(dribble(client, body, Math.ceil((REQUEST_TIMEOUT_S * 1500) / body.length)));
    await client.ended(2 * REQUEST_TIMEOUT_S * 1000);
    const answer = statusAndError(client.received());
    assert.equal(answer.status, 408);
    await delay(Math.max(0, started + REQUEST_TIMEOUT_S * 2000 - Date.now()));
    const orgs = await server.api<{ name: string }[]>('GET', '/v1/orgs');
    assert.deepEqual(
      orgs.body.map((o) => o.name),
      [],
      'a request refused with a 408 must not be acted on when its body finally arrives',
    );
  });

  test('a keep-alive connection left idle after its answer is closed', async () => {
    const client = connect(server);
    clients.push(client);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: weft\r\n\r\n');
    await client.ended(2 * KEEP_ALIVE_TIMEOUT_S * 1000);
    assert.match(client.received(), /^HTTP\/1.1 200 /);
  });

  test('idle connections cannot take more than the cap, and the timeouts free it for others', async () => {
    // One more than the cap: whatever else is open, at least one of these is over it.
    const idle = Array.from({ length: MAX_CONNECTIONS + 1 }, () => connect(server));
    clients.push(...idle);
    // None sends a byte: each is either closed at once, unanswered (over the cap), or answered 408
    // when its header deadline passes.
    await Promise.all(idle.map((c) => c.ended(2 * HEADERS_TIMEOUT_S * 1000)));
    const answers = idle.map((c) => c.received());
    assert.ok(answers.includes(''), 'a connection over the cap is closed before it is answered');
    for (const a of answers.filter((a) => a !== '')) assert.equal(statusAndError(a).status, 408);

    const deadline = Date.now() + 2 * (HEADERS_TIMEOUT_S + LINGER_IDLE_S) * 1000;
    let answered = 0;
    while (answered !== 200 && Date.now() < deadline) {
      answered = await server.api('GET', '/healthz').then(
        (r) => r.status,
        () => 0,
      );
      if (answered !== 200) await delay(100);
    }
    assert.equal(answered, 200, 'the server answers again once the idle connections are gone');
  });

  test('a follower of the change stream outlives the idle timeout: heartbeats keep it open', async (t) => {
    const follower = await watch(server, 0);
    t.after(() => follower.close());
    // Past the idle timeout, which would have cut a quiet connection, heartbeats still arrive.
    await delay((IDLE_TIMEOUT_S + 1) * 1000);
    const seen = follower.messages.length;
    await follower.until(
      (m) => m.type === 'heartbeat' && follower.messages.indexOf(m) >= seen,
      'a later heartbeat',
    );
  });
});
