import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy } from '../../../src/proxy/index.js';
import {
  httpsGet,
  requestOnNewConnection,
  run,
  scratchDir,
  serverCredentials,
  type Scratch,
  serveInstance,
  type ServedInstance,
} from './fixtures.js';

const GUID = 'instance-b-0';
const ROUTE = 'app-b.apps.internal';
const ROUTE_V2 = 'app-b-v2.apps.internal';

let setup: ServedInstance;
let ca: Ca;
let proxy: TlsProxy;
let scratch: Scratch;
let port: number;

before(async () => {
  scratch = await scratchDir();
  setup = await serveInstance(GUID, [ROUTE]);
  ({ ca, proxy, port } = setup);
});

after(async () => {
  await setup.close();
  await scratch.remove();
});

function get(servername: string, agent?: Agent) {
  return httpsGet({ port, servername, caPem: ca.certPem, agent });
}

function servedSans(socket: TLSSocket): string {
  return socket.getPeerCertificate().subjectaltname ?? '';
}

test('a mapped route is served to new handshakes at once while an open connection goes on', async () => {
  await proxy.updateCredentials(GUID, serverCredentials(ca, [ROUTE]));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = await get(ROUTE, agent);
    await assert.rejects(get(ROUTE_V2), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });

    const mapped = serverCredentials(ca, [ROUTE, ROUTE_V2]);
    await proxy.updateCredentials(GUID, mapped);

    assert.equal((await get(ROUTE_V2)).body, 'backend says hi to /');
    const caFile = await scratch.write('ca.crt', ca.certPem);
    const curl = await run('curl', [
      '-sS',
      '--fail',
      '--cacert',
      caFile,
      '--resolve',
      `${ROUTE_V2}:${port}:127.0.0.1`,
      `https://${ROUTE_V2}:${port}/v2`,
    ]);
    assert.equal(curl.stdout, 'backend says hi to /v2', curl.stderr);

    const after = await get(ROUTE, agent);
    assert.equal(after.socket, before.socket, 'the keep-alive connection was replaced');
    assert.equal(after.body, 'backend says hi to /');
    assert.doesNotMatch(servedSans(after.socket as TLSSocket), /app-b-v2/);

    const served = (await proxy.stats()).instances.find((i) => i.guid === GUID);
    assert.equal(served?.certNotAfterMs, Date.parse(new X509Certificate(mapped.certPem).validTo));
  } finally {
    agent.destroy();
  }
});

test('an unmapped route is refused to new handshakes while an open connection goes on', async () => {
  await proxy.updateCredentials(GUID, serverCredentials(ca, [ROUTE, ROUTE_V2]));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = await get(ROUTE_V2, agent);
    await proxy.updateCredentials(GUID, serverCredentials(ca, [ROUTE]));
    await assert.rejects(get(ROUTE_V2), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const after = await get(ROUTE_V2, agent);
    assert.equal(after.socket, before.socket);
    assert.equal(after.body, 'backend says hi to /');
  } finally {
    agent.destroy();
  }
});

test('100 certificate swaps under keep-alive and new-connection traffic fail no request', async () => {
  const certificates = [];
  for (let i = 0; i < 100; i++) certificates.push(serverCredentials(ca, [ROUTE, `${i}.${ROUTE}`]));

  const failures: unknown[] = [];
  let completed = 0;
  let onCompletion: () => void = () => {};
  const nextCompletion = () => new Promise<void>((resolve) => (onCompletion = resolve));
  let swapping = true;
  const loop = async (agent: Agent | undefined) => {
    while (swapping) {
      try {
        const res = await get(ROUTE, agent);
        if (res.body !== 'backend says hi to /') failures.push(new Error(`bad body ${res.body}`));
      } catch (err) {
        failures.push(err);
      }
      completed++;
      onCompletion();
    }
  };
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });
  const loops = [loop(keepAlive), loop(keepAlive), loop(undefined), loop(undefined)];
  try {
    for (const credentials of certificates) {
      await proxy.updateCredentials(GUID, credentials);
      // Let traffic move between swaps so handshakes and requests straddle every one of them.
      await nextCompletion();
    }
  } finally {
    swapping = false;
    await Promise.all(loops);
    keepAlive.destroy();
  }
  assert.deepEqual(failures, []);
  assert.ok(completed >= 100);
  const last = await get(ROUTE);
  assert.match(servedSans(last.socket as TLSSocket), /DNS:99\.app-b\.apps\.internal/);
});

test('sessions issued before a swap still resume after it', async () => {
  const first = await requestOnNewConnection({ port, servername: ROUTE, caPem: ca.certPem });
  await proxy.updateCredentials(GUID, serverCredentials(ca, [ROUTE]));
  const resumed = await requestOnNewConnection({
    port,
    servername: ROUTE,
    caPem: ca.certPem,
    session: first.session,
  });
  assert.equal(resumed.reused, true);
});

test('credentials whose key does not match the certificate are refused and the old ones keep serving', async () => {
  const good = serverCredentials(ca, [ROUTE]);
  const other = serverCredentials(ca, [ROUTE_V2]);
  await proxy.updateCredentials(GUID, good);
  await assert.rejects(proxy.updateCredentials(GUID, { certPem: other.certPem, keyPem: good.keyPem }));
  const res = await get(ROUTE);
  assert.equal(res.body, 'backend says hi to /');
  assert.equal(
    (res.socket as TLSSocket).getPeerX509Certificate()?.raw.equals(new X509Certificate(good.certPem).raw),
    true,
  );
});
