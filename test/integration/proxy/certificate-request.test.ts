// Which callers the proxy asks for a client certificate: those of instances with mutual TLS on, always; those
// of instances with it off only when they come by address (no SNI), where the listener's default entry
// answers. Asking costs a few percent of a full handshake; not asking while mutual TLS is on would refuse
// every caller, so each change of state is checked from both sides.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { TlsProxy } from '../../../src/proxy/index.js';
import {
  httpsGet,
  identityCredentials,
  loopbackListeners,
  newCa,
  run,
  serverCredentials,
  startBackend,
} from './fixtures.js';

const ROUTE = 'app-b.apps.internal';
const NEW_ROUTE = `v2.${ROUTE}`;
const CALLER_APP = 'app-a-guid';

/** Whether the handshake with `servername` (none if null) carries a CertificateRequest, from openssl's trace. */
async function asksForCertificate(port: number, servername: string | null): Promise<boolean> {
  const sni = servername === null ? ['-noservername'] : ['-servername', servername];
  const { stdout } = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...sni, '-msg']);
  assert.match(stdout, /ServerHello/, 'no handshake took place');
  return /CertificateRequest/.test(stdout);
}

/** A CA, a backend and a proxy of one listener, all gone once `t` ends. */
async function startProxy(t: TestContext) {
  const ca = newCa();
  const backend = await startBackend();
  const proxy = new TlsProxy({ listeners: await loopbackListeners(1) });
  t.after(async () => {
    await proxy.close();
    await backend.close();
  });
  return { ca, backend, proxy };
}

test('callers by name are asked for a certificate exactly while mutual TLS is on, across renames and restarts', async (t) => {
  const { ca, backend, proxy } = await startProxy(t);
  const { port } = await proxy.addInstance({
    guid: 'instance-b-0',
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: backend.port },
    credentials: serverCredentials(ca, [ROUTE]),
  });
  const mtls = { caPem: ca.certPem, callers: new Set([CALLER_APP]) };
  const get = (client?: { certPem: string; keyPem: string }) =>
    httpsGet({ port, servername: ROUTE, caPem: ca.certPem, client });

  assert.equal(await asksForCertificate(port, ROUTE), false, 'asked with mutual TLS off');
  assert.equal(await asksForCertificate(port, null), true, 'a caller by address meets the default entry');
  assert.equal((await get()).body, 'backend says hi to /');

  await proxy.setMtls('instance-b-0', mtls);
  assert.equal(await asksForCertificate(port, ROUTE), true, 'not asked with mutual TLS on');
  await assert.rejects(get());
  assert.equal((await get(identityCredentials(ca, CALLER_APP))).body, 'backend says hi to /');

  // A new name taken while mutual TLS is on is asked too; once it is off, neither name is.
  await proxy.updateCredentials('instance-b-0', serverCredentials(ca, [ROUTE, NEW_ROUTE]));
  assert.equal(await asksForCertificate(port, NEW_ROUTE), true);
  await proxy.setMtls('instance-b-0', null);
  assert.equal(await asksForCertificate(port, NEW_ROUTE), false);
  assert.equal(await asksForCertificate(port, ROUTE), false);

  // A restarted HAProxy reads the same state from its files: with mutual TLS on, callers by name are asked.
  await proxy.setMtls('instance-b-0', mtls);
  const caller = identityCredentials(ca, CALLER_APP);
  const killed = proxy.enginePid;
  assert.ok(killed);
  process.kill(killed, 'SIGKILL');
  while (
    proxy.enginePid === killed ||
    !(await get(caller).then(
      () => true,
      () => false,
    ))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(await asksForCertificate(port, NEW_ROUTE), true, 'not asked after a restart');
  await proxy.setMtls('instance-b-0', null);
  assert.equal(await asksForCertificate(port, NEW_ROUTE), false);
});

test('a listener no instance holds keeps no open entry, and a new instance with mutual TLS on starts closed', async (t) => {
  const { ca, backend, proxy } = await startProxy(t);
  const add = async (mtls: { caPem: string; callers: Set<string> } | undefined) =>
    proxy.addInstance({
      guid: 'instance-b-0',
      listen: { host: '127.0.0.1', port: 0 },
      backend: { host: '127.0.0.1', port: backend.port },
      credentials: serverCredentials(ca, [ROUTE]),
      ...(mtls && { mtls }),
    });
  const { port } = await add(undefined);
  assert.equal(await asksForCertificate(port, ROUTE), false);
  await proxy.removeInstance('instance-b-0');
  await add({ caPem: ca.certPem, callers: new Set([CALLER_APP]) });
  assert.equal(await asksForCertificate(port, ROUTE), true, 'the open entry outlived its instance');
  await assert.rejects(httpsGet({ port, servername: ROUTE, caPem: ca.certPem }));
});
