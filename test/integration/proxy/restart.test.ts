import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy } from '../../../src/proxy/index.js';
import {
  httpsGet,
  identityCredentials,
  loopbackListeners,
  newCa,
  serverCredentials,
  startBackend,
} from './fixtures.js';

const ROUTE = 'app-b.apps.internal';
const CALLER_APP = 'app-a-guid';

/** The names of the certificate a listener presents now, or null while nothing accepts there. */
function servedNames(port: number, ca: Ca): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: ROUTE, ca: ca.certPem }, () => {
      resolve(socket.getPeerCertificate().subjectaltname ?? '');
      socket.end();
    });
    socket.on('error', () => resolve(null));
  });
}

test('HAProxy killed with SIGKILL is back serving every instance with its latest certificate and mutual TLS', async (t) => {
  const ca = newCa();
  const backend = await startBackend();
  const proxy = new TlsProxy({ listeners: await loopbackListeners(3) });
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  const ports: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { port } = await proxy.addInstance({
      guid: `instance-${i}`,
      listen: { host: '127.0.0.1', port: 0 },
      backend: { host: '127.0.0.1', port: backend.port },
      credentials: serverCredentials(ca, [ROUTE], `instance-${i}`),
    });
    ports.push(port);
  }
  // What the proxy holds differs from what HAProxy read at its start: a renamed instance, and mutual TLS.
  await proxy.updateCredentials('instance-1', serverCredentials(ca, [ROUTE, `v2.${ROUTE}`], 'instance-1'));
  await proxy.setMtls('instance-2', { caPem: ca.certPem, callers: new Set([CALLER_APP]) });
  await proxy.removeInstance('instance-0');

  const killed = proxy.enginePid;
  assert.ok(killed);
  const killedAt = performance.now();
  process.kill(killed, 'SIGKILL');
  const [removed, renamed, mtls] = ports as [number, number, number];
  while (proxy.enginePid === killed || (await servedNames(renamed, ca)) === null) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.diagnostic(`serving again ${(performance.now() - killedAt).toFixed(0)} ms after the SIGKILL`);

  assert.match((await servedNames(renamed, ca)) ?? '', /DNS:v2\.app-b\.apps\.internal/);
  assert.equal(await servedNames(removed, ca), null, 'a removed instance listens again');
  const get = (client?: { certPem: string; keyPem: string }) =>
    httpsGet({ port: mtls, servername: ROUTE, caPem: ca.certPem, client });
  await assert.rejects(get());
  assert.equal((await get(identityCredentials(ca, CALLER_APP))).body, 'backend says hi to /');
});
