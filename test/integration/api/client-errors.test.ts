// Requests Node's HTTP parser refuses get an answer in the API's shape, and the server reads the rest
// of what the client sends before it closes, so no client loses the answer to a reset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startServer, type TestServer } from '../../helpers/control-plane.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

interface Exchange {
  status: number;
  headers: string;
  body: string;
  /** The socket error the client saw, if any (a reset shows here). */
  error?: string;
}

/** Sends `first`, and once the answer has arrived also `rest`, then hangs up and reports what came back. */
function exchange(first: string, rest: string): Promise<Exchange> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve) => {
    const socket = tls.connect({ port: Number(port), host: hostname, ca: server.caPem });
    let received = '';
    let error: string | undefined;
    let sentRest = false;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (!sentRest && received.includes('\r\n\r\n')) {
        sentRest = true;
        socket.end(rest);
      }
    });
    socket.on('error', (err: Error) => (error = err.message));
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body, error });
    });
    socket.once('secureConnect', () => socket.write(first));
  });
}

test('a request line over the header limit gets a 431 with an error, and a clean close', async () => {
  const path = `/v1/apps/${'x'.repeat(60_000)}`;
  const request = `PATCH ${path} HTTP/1.1\r\nHost: weft\r\nContent-Length: 300000\r\n\r\n`;
  const reply = await exchange(request, '{'.repeat(300_000));
  assert.equal(reply.error, undefined);
  assert.equal(reply.status, 431);
  assert.match(reply.headers, /\r\nconnection: close/i);
  assert.match((JSON.parse(reply.body) as { error: string }).error, /larger than the server accepts/);
});

test('a request that is not HTTP gets a 400 with an error, and a clean close', async () => {
  const reply = await exchange('NOT HTTP AT ALL\r\n\r\n', 'more of the same\r\n'.repeat(20_000));
  assert.equal(reply.error, undefined);
  assert.equal(reply.status, 400);
  assert.match((JSON.parse(reply.body) as { error: string }).error, /not valid HTTP/);
});

test('the server still answers after refusing such requests', async () => {
  assert.equal((await server.api('GET', '/healthz')).status, 200);
});
