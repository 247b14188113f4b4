// An app's environment is checked where it is written: a name no shell could export, or one the platform
// sets itself, is refused with the reason, and nothing is written.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { seedTenancy, type Tenancy } from '../../helpers/fixtures.js';

let server: TestServer;
let t: Tenancy;
before(async () => {
  server = await startServer();
  t = await seedTenancy(server);
});
after(() => server?.stop());

const app = (env: Record<string, string>) => ({
  name: 'env-app',
  spaceGuid: t.spaceA.guid,
  command: './run',
  env,
});

test('names that are not shell variable names or that the platform sets are refused', async () => {
  const refusals: [string, RegExp][] = [
    ['NOT-A-NAME', /"NOT-A-NAME" is not a variable name/],
    ['1ST', /"1ST" is not a variable name/],
    ['', /"" is not a variable name/],
    ['PORT', /PORT is set by the platform/],
    ['VCAP_SERVICES', /VCAP_SERVICES is set by the platform/],
    ['WEFT_APP_ENV', /WEFT_APP_ENV is set by the platform/],
  ];
  for (const [name, reason] of refusals) {
    const r = await server.api<{ error: string }>('POST', '/v1/apps', app({ GOOD: '1', [name]: 'x' }));
    assert.equal(r.status, 400, name);
    assert.match(r.body.error, reason);
  }
  const apps = await server.api<App[]>('GET', `/v1/apps?name=env-app`);
  assert.deepEqual(apps.body, [], 'no app was written');
});

test('an update with a bad name changes nothing; good names are kept as given', async () => {
  const created = await server.api<App>('POST', '/v1/apps', app({ GREETING: 'hi', _private: 'a b' }));
  assert.equal(created.status, 201);
  assert.deepEqual(created.body.env, { GREETING: 'hi', _private: 'a b' });
  const r = await server.api<{ error: string }>('PATCH', `/v1/apps/${created.body.guid}`, {
    env: { GREETING: 'bye', 'a.b': 'x' },
  });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /"a\.b" is not a variable name/);
  const now = await server.api<App[]>('GET', `/v1/apps?name=env-app`);
  assert.deepEqual(now.body[0]?.env, { GREETING: 'hi', _private: 'a b' });
});
