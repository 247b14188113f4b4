// Tokens can be listed (never their secrets), revoked with effect on the next request, and may expire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { created, seedTenancy, type Tenancy } from '../../helpers/fixtures.js';

interface TokenInfo {
  name: string;
  role: string;
  expiresAt: string | null;
}

describe('tokens', () => {
  let server: TestServer;
  let t: Tenancy;
  before(async () => {
    server = await startServer();
    t = await seedTenancy(server);
  });
  after(() => server?.stop());

  const make = (name: string, extra: Record<string, unknown> = {}) =>
    created<{ token: string }>(
      server.api('POST', '/v1/tokens', {
        name,
        role: 'space_developer',
        spaceGuids: [t.spaceA.guid],
        ...extra,
      }),
    );

  test('the token list names every token and holds no secret', async () => {
    const { token } = await make('listed');
    const list = await server.api<TokenInfo[]>('GET', '/v1/tokens');
    assert.equal(list.status, 200);
    assert.ok(list.body.some((x) => x.name === 'listed' && x.role === 'space_developer'));
    const text = JSON.stringify(list.body);
    assert.ok(!text.includes(token) && !text.includes(server.adminToken));
    assert.doesNotMatch(text, /"(hash|token)"/);
  });

  test('a revoked token is refused on its next request', async () => {
    const { token } = await make('revoked');
    assert.equal((await server.api('GET', '/v1/apps', undefined, token)).status, 200);
    assert.equal((await server.api('DELETE', '/v1/tokens/revoked')).status, 204);
    assert.equal((await server.api('GET', '/v1/apps', undefined, token)).status, 401);
    assert.equal((await server.api('DELETE', '/v1/tokens/revoked')).status, 404);
    const events = await server.api<{ action: string }[]>('GET', '/v1/events');
    assert.ok(events.body.some((e) => e.action === 'token.revoke'));
  });

  test('an expired token is refused', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { token } = await make('brief', { expiresAt });
    assert.equal((await server.api('GET', '/v1/apps', undefined, token)).status, 200);
    await sleep(2000);
    assert.equal((await server.api('GET', '/v1/apps', undefined, token)).status, 401);
    const past = await server.api('POST', '/v1/tokens', {
      name: 'stale',
      role: 'admin',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    assert.equal(past.status, 400);
  });

  test('only admins list or revoke tokens, and names are unique', async () => {
    const { token } = await make('nosy');
    assert.equal((await server.api('GET', '/v1/tokens', undefined, token)).status, 403);
    assert.equal((await server.api('DELETE', '/v1/tokens/admin', undefined, token)).status, 403);
    assert.equal((await server.api('GET', '/v1/apps')).status, 200, 'the admin token still works');
    const again = await server.api('POST', '/v1/tokens', { name: 'nosy', role: 'admin' });
    assert.equal(again.status, 409);
  });

  test('a cell token must name its cell, and only a cell token may', async () => {
    assert.equal((await server.api('POST', '/v1/tokens', { name: 'c', role: 'cell' })).status, 400);
    assert.equal(
      (await server.api('POST', '/v1/tokens', { name: 'a', role: 'admin', cellId: 'c1' })).status,
      400,
    );
  });
});
