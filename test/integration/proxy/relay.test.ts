import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect, createServer, type AddressInfo, type Server } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy } from '../../../src/proxy/index.js';
import { loopbackListeners, newCa, serverCredentials } from './fixtures.js';

const ROUTE = 'app-b.apps.internal';

let ca: Ca;
let proxy: TlsProxy;
let echo: Server;
let echoPort: number;

/** A non-HTTP app: echoes every byte and, once the caller half-closes, reports what it got and ends. */
function startEchoBackend(): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.pipe(socket, { end: false });
    socket.on('end', () => socket.end(`[eof after ${received} bytes]`));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  ca = newCa();
  echo = await startEchoBackend();
  echoPort = (echo.address() as AddressInfo).port;
  proxy = new TlsProxy({ listeners: await loopbackListeners(16) });
});

after(async () => {
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

let nextGuid = 0;
async function addInstance(backendPort = echoPort): Promise<{ guid: string; port: number }> {
  const guid = `relay-instance-${nextGuid++}`;
  const bound = await proxy.addInstance({
    guid,
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: backendPort },
    credentials: serverCredentials(ca, [ROUTE], guid),
  });
  return { guid, port: bound.port };
}

function tlsClient(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: ROUTE, ca: ca.certPem });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the socket delivers until the far side ends its stream. */
function readToEnd(socket: TLSSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

test('any byte stream passes both ways and a half-close reaches the app, whose reply still arrives', async () => {
  const { port } = await addInstance();
  const socket = await tlsClient(port);
  const received = readToEnd(socket);
  socket.end('not http at all\n');
  assert.equal((await received).toString(), 'not http at all\n[eof after 16 bytes]');
});

test('16 MiB each way arrive intact and are counted', async () => {
  const { guid, port } = await addInstance();
  const payload = randomBytes(16 * 1024 * 1024);
  const socket = await tlsClient(port);
  const received = readToEnd(socket);
  socket.end(payload);
  const echoed = await received;
  const trailer = Buffer.from(`[eof after ${payload.length} bytes]`);
  assert.equal(echoed.length, payload.length + trailer.length);
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.equal(digest(echoed.subarray(0, payload.length)), digest(payload));
  const stats = (await proxy.stats()).instances.find((i) => i.guid === guid);
  assert.equal(stats?.bytesToBackend, payload.length);
  assert.equal(stats?.bytesFromBackend, payload.length + trailer.length);
});

test('an app that is not listening gets the client disconnected and is counted, and the listener lives on', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const { guid, port } = await addInstance(deadPort);
  for (let i = 0; i < 2; i++) {
    const socket = await tlsClient(port);
    await readToEnd(socket).catch(() => Buffer.alloc(0));
  }
  const stats = (await proxy.stats()).instances.find((i) => i.guid === guid);
  assert.equal(stats?.backendFailures, 2);
  assert.equal(stats?.activeConnections, 0);
});

test('a connection the app refused is closed at once, not held and retried once the app listens', async () => {
  const app = createServer();
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appPort = (app.address() as AddressInfo).port;
  await new Promise((resolve) => app.close(resolve));
  const { port } = await addInstance(appPort);
  const socket = await tlsClient(port);
  const ended = readToEnd(socket).catch(() => Buffer.alloc(0));
  // The app comes up while the caller still waits, if it does: HAProxy retries a refused connect after
  // a second, so a caller that came early would be held that long and then served.
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1500))]);
  let reached = 0;
  const late = createServer((s) => (reached++, s.end('late app\n')));
  await new Promise<void>((resolve) => late.listen(appPort, '127.0.0.1', resolve));
  try {
    assert.equal((await ended).length, 0, 'the caller was served by an app that was not listening');
    assert.equal(reached, 0, 'the proxy retried the app');
  } finally {
    await new Promise((resolve) => late.close(resolve));
  }
});

/** The error code a plain TCP connect to the port ends with, or undefined when it connects. */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = tcpConnect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(undefined);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

test('removing an instance ends its open connections and frees its port', async () => {
  const { guid, port } = await addInstance();
  const socket = await tlsClient(port);
  const ended = readToEnd(socket).catch(() => Buffer.alloc(0));
  await proxy.removeInstance(guid);
  await ended;
  socket.destroy();
  assert.equal(await connectError(port), 'ECONNREFUSED');
  assert.equal(
    (await proxy.stats()).instances.some((i) => i.guid === guid),
    false,
  );
});

test('a taken port or a duplicate GUID is refused and leaves nothing behind', async () => {
  const { guid, port } = await addInstance();
  const credentials = serverCredentials(ca, [ROUTE]);
  const spec = {
    listen: { host: '127.0.0.1', port },
    backend: { host: '127.0.0.1', port: echoPort },
    credentials,
  };
  await assert.rejects(proxy.addInstance({ guid: 'port-clash', ...spec }), { code: 'EADDRINUSE' });
  assert.equal(
    (await proxy.stats()).instances.some((i) => i.guid === 'port-clash'),
    false,
  );
  await assert.rejects(
    proxy.addInstance({ guid, ...spec, listen: { host: '127.0.0.1', port: 0 } }),
    /already proxied/,
  );
  await proxy.removeInstance(guid);
  const again = await proxy.addInstance({ guid: 'port-clash', ...spec });
  assert.equal(again.port, port);
});

test('an instance removed while its listener is still binding does not stay listening', async () => {
  const guid = 'removed-while-binding';
  const adding = proxy.addInstance({
    guid,
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: echoPort },
    credentials: serverCredentials(ca, [ROUTE], guid),
  });
  const removing = proxy.removeInstance(guid);
  const { port } = await adding;
  await removing;
  assert.equal(await connectError(port), 'ECONNREFUSED');
});
