import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { TlsProxy } from '../../../src/proxy/index.js';
import {
  loopbackListeners,
  newCa,
  requestOnNewConnection,
  run,
  scratchDir,
  serverCredentials,
  startBackend,
  type Backend,
  type Scratch,
} from './fixtures.js';

const ROUTE = 'app-b.apps.internal';
const PYTHON_CLIENT = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection(('127.0.0.1', int(sys.argv[2]))) as raw:
    with ctx.wrap_socket(raw, server_hostname=sys.argv[3]) as tls:
        tls.sendall(b'GET /python HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')
        data = b''
        while chunk := tls.recv(65536):
            data += chunk
        print(tls.version())
        print(data.decode())
`;

let proxy: TlsProxy;
let backend: Backend;
let scratch: Scratch;
let caFile: string;
let port: number;

before(async () => {
  const ca = newCa();
  backend = await startBackend();
  scratch = await scratchDir();
  caFile = await scratch.write('ca.crt', ca.certPem);
  proxy = new TlsProxy({ listeners: await loopbackListeners(1) });
  const bound = await proxy.addInstance({
    guid: 'instance-b-0',
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: backend.port },
    credentials: serverCredentials(ca, [ROUTE, `0.${ROUTE}`]),
  });
  port = bound.port;
});

after(async () => {
  await proxy.close();
  await backend.close();
  await scratch.remove();
});

test('curl verifies the route name against the platform CA and reaches the app', async () => {
  const url = `https://${ROUTE}:${port}/curl`;
  const result = await run('curl', [
    '-sS',
    '--fail',
    '--cacert',
    caFile,
    '--resolve',
    `${ROUTE}:${port}:127.0.0.1`,
    url,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'backend says hi to /curl');
});

test('curl refuses a name the certificate does not carry', async () => {
  const url = `https://app-c.apps.internal:${port}/`;
  const result = await run('curl', [
    '-sS',
    '--cacert',
    caFile,
    '--resolve',
    `app-c.apps.internal:${port}:127.0.0.1`,
    url,
  ]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /certificate|SSL/i);
});

test('openssl s_client verifies the chain and the per-instance name', async () => {
  const request = `GET /openssl HTTP/1.1\r\nHost: ${ROUTE}\r\nConnection: close\r\n\r\n`;
  const result = await run(
    'openssl',
    [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      `0.${ROUTE}`,
      '-verify_return_error',
      '-verify_hostname',
      `0.${ROUTE}`,
      '-CAfile',
      caFile,
      '-ign_eof',
    ],
    request,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Verify return code: 0 \(ok\)/);
  assert.match(result.stdout, /backend says hi to \/openssl/);
  assert.match(result.stdout, /No ALPN negotiated/);
});

test('a Python ssl client with default verification reaches the app', async () => {
  const result = await run('python3', ['-c', PYTHON_CLIENT, caFile, String(port), ROUTE]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^TLSv1\.3\n/);
  assert.match(result.stdout, /backend says hi to \/python/);
});

for (const [flag, accepted] of [
  ['-tls1_1', false],
  ['-tls1_2', true],
  ['-tls1_3', true],
] as const) {
  test(`the proxy ${accepted ? 'accepts' : 'refuses'} ${flag.replace('-', '')}`, async () => {
    // SECLEVEL=0 lets the client offer TLS 1.1 at all, so a refusal comes from the proxy.
    const result = await run(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        flag,
        '-cipher',
        'DEFAULT@SECLEVEL=0',
        '-CAfile',
        caFile,
        '-verify_return_error',
      ],
      'Q\n',
    );
    if (accepted) {
      assert.equal(result.code, 0, result.stderr);
    } else {
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /alert protocol version/);
    }
  });
}

test('TLS 1.2 offers only forward-secret AEAD suites', async () => {
  for (const cipher of ['AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES128-SHA256']) {
    const result = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', cipher, '-CAfile', caFile],
      'Q\n',
    );
    assert.notEqual(result.code, 0, `${cipher} was accepted`);
  }
});

test('a resumed session skips the full handshake', async () => {
  const caPem = await readFile(caFile, 'utf8');
  const first = await requestOnNewConnection({ port, servername: ROUTE, caPem });
  assert.equal(first.reused, false);
  const second = await requestOnNewConnection({ port, servername: ROUTE, caPem, session: first.session });
  assert.equal(second.reused, true);
  assert.match(second.response, /backend says hi/);
});

test('a TLS 1.2 session resumes from its ticket', async () => {
  const caPem = await readFile(caFile, 'utf8');
  const tls12 = { port, servername: ROUTE, caPem, maxVersion: 'TLSv1.2' } as const;
  const first = await requestOnNewConnection(tls12);
  assert.equal(first.reused, false);
  const second = await requestOnNewConnection({ ...tls12, session: first.session });
  assert.equal(second.reused, true);
  assert.match(second.response, /backend says hi/);
});
