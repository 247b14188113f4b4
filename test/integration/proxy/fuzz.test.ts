import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy } from '../../../src/proxy/index.js';
import {
  httpsGet,
  loopbackListeners,
  serveInstance,
  serverCredentials,
  type Backend,
  type ServedInstance,
} from './fixtures.js';
import { prng } from '../../helpers/fuzz.js';

const GUID = 'fuzzed-instance';
const ROUTE = 'app-b.apps.internal';
const SEED = 0x5eed_c2c;
const CASES = 400;

let setup: ServedInstance;
let ca: Ca;
let proxy: TlsProxy;
let backend: Backend;
let port: number;

before(async () => {
  setup = await serveInstance(GUID, [ROUTE]);
  ({ ca, proxy, backend, port } = setup);
});

after(async () => {
  await setup.close();
});

/** The first flight a real Node client sends, captured by a plain TCP server. */
async function captureClientHello(): Promise<Buffer> {
  const sink = createServer();
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<Buffer>((resolve) => {
      sink.once('connection', (socket) =>
        socket.once('data', (hello: Buffer) => {
          resolve(hello);
          socket.destroy();
        }),
      );
      const client = connect({
        host: '127.0.0.1',
        port: (sink.address() as AddressInfo).port,
        servername: ROUTE,
      });
      client.on('error', () => client.destroy());
    });
  } finally {
    await new Promise((resolve) => sink.close(resolve));
  }
}

function mutations(hello: Buffer, random: () => number): Buffer[] {
  const int = (limit: number) => Math.floor(random() * limit);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const cases: Buffer[] = [];
  for (let i = 0; i < CASES; i++) {
    switch (i % 4) {
      case 0:
        cases.push(bytes(1 + int(4096)));
        break;
      case 1:
        cases.push(hello.subarray(0, 1 + int(hello.length - 1)));
        break;
      case 2: {
        const flipped = Buffer.from(hello);
        for (let f = 0; f < 1 + int(8); f++) {
          const at = int(flipped.length);
          flipped.writeUInt8(flipped.readUInt8(at) ^ (1 << int(8)), at);
        }
        cases.push(flipped);
        break;
      }
      default:
        // A handshake record header announcing a length the body never delivers.
        cases.push(Buffer.concat([Buffer.from([0x16, 0x03, int(5), int(256), int(256)]), bytes(int(64))]));
    }
  }
  return cases;
}

/** Sends the bytes, half-closes, and waits until the proxy has dropped the connection. */
function sendAndWaitForClose(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.once('close', () => resolve());
    socket.end(bytes);
  });
}

test('garbage and mangled ClientHellos are dropped as handshake failures and the proxy keeps serving', async () => {
  const hello = await captureClientHello();
  assert.equal(hello[0], 0x16, 'captured flight is a TLS handshake record');
  const cases = mutations(hello, prng(SEED));
  const before = (await proxy.stats()).totals;
  for (let i = 0; i < cases.length; i += 8) {
    await Promise.all(cases.slice(i, i + 8).map(sendAndWaitForClose));
    if (i % 80 === 0)
      assert.equal((await httpsGet({ port, servername: ROUTE, caPem: ca.certPem })).status, 200);
  }
  assert.equal((await httpsGet({ port, servername: ROUTE, caPem: ca.certPem })).status, 200);
  const after = (await proxy.stats()).totals;
  assert.equal(after.handshakeFailures - before.handshakeFailures, CASES);
  assert.equal(after.connectionsProxied - before.connectionsProxied, 1 + Math.ceil(CASES / 80));
});

test('a client that stalls mid-handshake is dropped after the handshake timeout', async () => {
  const impatient = new TlsProxy({ handshakeTimeoutMs: 50, listeners: await loopbackListeners(1) });
  try {
    const { port: impatientPort } = await impatient.addInstance({
      guid: 'impatient',
      listen: { host: '127.0.0.1', port: 0 },
      backend: { host: '127.0.0.1', port: backend.port },
      credentials: serverCredentials(ca, [ROUTE]),
    });
    const hello = await captureClientHello();
    await new Promise<void>((resolve) => {
      const socket = tcpConnect(impatientPort, '127.0.0.1');
      socket.on('error', () => {});
      socket.once('close', () => resolve());
      // Half a ClientHello and then silence, with the write side left open.
      socket.write(hello.subarray(0, hello.length >> 1));
    });
    assert.equal((await impatient.stats()).totals.handshakeFailures, 1);
  } finally {
    await impatient.close();
  }
});
