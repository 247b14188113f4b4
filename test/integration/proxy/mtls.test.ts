import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Ca } from '../../../src/ca/index.js';
import { TlsProxy, type Credentials } from '../../../src/proxy/index.js';
import {
  httpsGet,
  identityCredentials,
  loopbackListeners,
  newCa,
  serverCredentials,
  startBackend,
  type Backend,
} from './fixtures.js';
import { waitFor } from '../../helpers/weft-host.js';

const GUID = 'instance-b-0';
const ROUTE = 'app-b.apps.internal';
const ALLOWED_APP = 'app-a-guid';
const OTHER_APP = 'app-c-guid';

let ca: Ca;
let proxy: TlsProxy;
let backend: Backend;
let port: number;
let allowedCaller: Credentials;
let otherCaller: Credentials;
let foreignCaller: Credentials;
type LogLine = { callerApp?: string; msg?: string };
const refusals: LogLine[] = [];
const mtls = () => ({ caPem: ca.certPem, callers: new Set([ALLOWED_APP]) });

before(async () => {
  ca = newCa();
  backend = await startBackend();
  allowedCaller = identityCredentials(ca, ALLOWED_APP);
  otherCaller = identityCredentials(ca, OTHER_APP);
  foreignCaller = identityCredentials(newCa(), ALLOWED_APP);
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => refusals.push(JSON.parse(line) as LogLine) },
  );
  proxy = new TlsProxy({ logger, listeners: await loopbackListeners(1) });
  ({ port } = await proxy.addInstance({
    guid: GUID,
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: backend.port },
    credentials: serverCredentials(ca, [ROUTE]),
    mtls: mtls(),
  }));
});

beforeEach(async () => {
  await proxy.setMtls(GUID, mtls());
  refusals.length = 0;
});

after(async () => {
  await proxy.close();
  await backend.close();
});

function get(client?: Credentials) {
  return httpsGet({ port, servername: ROUTE, caPem: ca.certPem, client });
}

/** Asserts the call fails and that not one connection reached the app behind the proxy. */
async function assertRefusedBeforeBackend(client?: Credentials): Promise<void> {
  const connectionsBefore = backend.connections();
  await assert.rejects(get(client));
  assert.equal(backend.connections(), connectionsBefore);
}

test('an authorized caller with an instance identity reaches the app', async () => {
  const res = await get(allowedCaller);
  assert.equal(res.body, 'backend says hi to /');
});

test('a caller without a client certificate is refused', async () => {
  await assertRefusedBeforeBackend();
});

test('a caller whose certificate comes from another CA is refused', async () => {
  await assertRefusedBeforeBackend(foreignCaller);
});

test('a caller whose app is not authorized is refused and the refusal names the app', async () => {
  const refusedBefore = (await proxy.stats()).totals.mtlsRefusals;
  await assertRefusedBeforeBackend(otherCaller);
  assert.equal((await proxy.stats()).totals.mtlsRefusals, refusedBefore + 1);
  // The refusal's log line comes back from HAProxy over UDP, a moment after the refusal itself.
  await waitFor(
    'the refusal log line',
    () => refusals.some((r) => r.callerApp === OTHER_APP && /not authorized/.test(r.msg ?? '')) || undefined,
    10_000,
    20,
  );
});

test('the admitted callers change for the next connection without a new listener', async () => {
  await proxy.setMtls(GUID, { caPem: ca.certPem, callers: new Set() });
  await assertRefusedBeforeBackend(otherCaller);
  await proxy.setMtls(GUID, { caPem: ca.certPem, callers: new Set([OTHER_APP]) });
  assert.equal((await get(otherCaller)).body, 'backend says hi to /');
  await assertRefusedBeforeBackend(allowedCaller);
});

test('mTLS switches off and on without a new listener', async () => {
  await proxy.setMtls(GUID, null);
  assert.equal((await get()).body, 'backend says hi to /');
  await proxy.setMtls(GUID, mtls());
  await assertRefusedBeforeBackend();
  assert.equal((await get(allowedCaller)).body, 'backend says hi to /');
});
