// Who may do what: admins everything, space developers only inside their spaces, nobody without a token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { guidOf, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';

const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
after(() => databases.stop());

interface PolicyList {
  total_policies: number;
  policies: ReturnType<typeof wirePolicy>[];
}

for (const kind of DATABASE_KINDS) {
  describe(`auth on ${kind}`, () => {
    let server: TestServer;
    let t: Tenancy;
    let dev: string;
    const guid = (name: string) => guidOf(t, name);

    before(async () => {
      server = await startServer({ database: await databases.fresh(kind, 'auth') });
      t = await seedTenancy(server);
      dev = t.developerToken;
    });
    after(() => server?.stop());

    test('no token, a wrong token or another scheme gets a 401 with an error', async () => {
      const calls: [string, string, unknown][] = [
        ['GET', '/v1/apps', undefined],
        ['GET', POLICIES, undefined],
        ['POST', POLICIES, { policies: [wirePolicy(guid('a1'), guid('a2'))] }],
        ['GET', '/v1/watch?since=0', undefined],
        ['GET', '/v1/openapi.json', undefined],
      ];
      for (const [method, path, body] of calls) {
        for (const token of [null, 'weft_not-a-real-token', `${server.adminToken}x`]) {
          const r = await server.api<{ error: string }>(method, path, body, token);
          assert.equal(r.status, 401, `${method} ${path} with ${token ?? 'no token'}`);
          assert.equal(typeof r.body.error, 'string');
        }
      }
      const basic = await server.fetch(`${server.url}/v1/apps`, {
        headers: { authorization: `Basic ${server.adminToken}` },
      });
      assert.equal(basic.status, 401);
      await basic.text();
      assert.equal((await server.api('GET', POLICIES)).status, 200);
      assert.deepEqual((await server.api('GET', '/healthz', undefined, null)).body, { ok: true });
    });

    test('the admin and the space developer are told apart', async () => {
      const admin = await server.api<{ you: { role: string } }>('GET', '/v1/info');
      assert.equal(admin.body.you.role, 'admin');
      const me = await server.api<{ you: { role: string; spaceGuids: string[] } }>(
        'GET',
        '/v1/info',
        undefined,
        dev,
      );
      assert.deepEqual(me.body.you, {
        name: 'dev-a',
        role: 'space_developer',
        spaceGuids: [t.spaceA.guid],
        cellId: null,
        expiresAt: null,
      });
    });

    test('a space developer sees and changes apps only in their spaces', async () => {
      const apps = await server.api<{ name: string }[]>('GET', '/v1/apps', undefined, dev);
      assert.deepEqual(apps.body.map((a) => a.name).sort(), ['a1', 'a2', 'a3']);
      const spaces = await server.api<{ guid: string }[]>('GET', '/v1/spaces', undefined, dev);
      assert.deepEqual(
        spaces.body.map((s) => s.guid),
        [t.spaceA.guid],
      );
      assert.equal((await server.api('GET', `/v1/apps/${guid('b1')}`, undefined, dev)).status, 404);
      assert.equal((await server.api('GET', `/v1/apps/${guid('a1')}`, undefined, dev)).status, 200);
      const inB = { name: 'sneaky', spaceGuid: t.spaceB.guid, command: 'true' };
      assert.equal((await server.api('POST', '/v1/apps', inB, dev)).status, 404);
      assert.equal((await server.api('DELETE', `/v1/apps/${guid('b2')}`, undefined, dev)).status, 404);
      assert.equal((await server.api('POST', '/v1/orgs', { name: 'mine' }, dev)).status, 403);
      assert.equal((await server.api('POST', '/v1/tokens', { name: 'x', role: 'admin' }, dev)).status, 403);
      assert.equal((await server.api('GET', '/v1/watch?since=0', undefined, dev)).status, 403);
      const all = await server.api<{ name: string }[]>('GET', '/v1/apps');
      assert.ok(
        all.body.some((a) => a.name === 'b2'),
        'b2 is still there',
      );
      assert.ok(!all.body.some((a) => a.name === 'sneaky'));
    });

    test('a space developer writing a policy that touches another space gets a 403 and writes nothing', async () => {
      const mine = wirePolicy(guid('a1'), guid('a2'), 8080);
      for (const foreign of [wirePolicy(guid('a1'), guid('b1')), wirePolicy(guid('b1'), guid('a1'))]) {
        const r = await server.api<{ error: string }>('POST', POLICIES, { policies: [mine, foreign] }, dev);
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.match(r.body.error, /spaces you develop in/);
      }
      const list = await server.api<PolicyList>('GET', `${POLICIES}?id=${guid('a1')},${guid('b1')}`);
      assert.deepEqual(list.body, { total_policies: 0, policies: [] });

      assert.equal((await server.api('POST', POLICIES, { policies: [mine] }, dev)).status, 200);
      const crossing = wirePolicy(guid('a3'), guid('b2'), 9000);
      assert.equal((await server.api('POST', POLICIES, { policies: [crossing] })).status, 200);
      const del = await server.api('POST', `${POLICIES}/delete`, { policies: [crossing] }, dev);
      assert.equal(del.status, 403);
      assert.equal(
        (await server.api<PolicyList>('GET', `${POLICIES}?id=${guid('b2')}`)).body.total_policies,
        1,
      );
    });

    test('a space developer lists only policies between apps of their spaces', async () => {
      const inA = wirePolicy(guid('a2'), guid('a3'), 7000, 7999);
      const inB = wirePolicy(guid('b1'), guid('b2'), 7000);
      const across = wirePolicy(guid('a2'), guid('b1'), 7001);
      assert.equal((await server.api('POST', POLICIES, { policies: [inA, inB, across] })).status, 200);

      const seen = await server.api<PolicyList>('GET', POLICIES, undefined, dev);
      assert.equal(seen.status, 200);
      const apps = new Set([guid('a1'), guid('a2'), guid('a3')]);
      assert.ok(seen.body.policies.length >= 1);
      for (const p of seen.body.policies) {
        assert.ok(
          apps.has(p.source.id) && apps.has(p.destination.id),
          `${JSON.stringify(p)} is inside space A`,
        );
      }
      assert.ok(seen.body.policies.some((p) => JSON.stringify(p) === JSON.stringify(inA)));
      assert.equal(seen.body.total_policies, seen.body.policies.length);

      const filtered = await server.api<PolicyList>('GET', `${POLICIES}?id=${guid('b1')}`, undefined, dev);
      assert.deepEqual(filtered.body, { total_policies: 0, policies: [] });
      const asAdmin = await server.api<PolicyList>('GET', `${POLICIES}?id=${guid('b1')}`);
      assert.equal(asAdmin.body.total_policies, 2);
    });
  });
}
