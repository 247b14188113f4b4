// One tenant cannot take the platform's capacity: every space is held to quotas on apps, instances,
// memory, routes, policies and env size. A refused write leaves nothing behind, quotas bind every role,
// only admins change them, and writes racing each other cannot overshoot them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { App, Route } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { created, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';

const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
after(() => databases.stop());

interface Quota {
  apps: number;
  instances: number;
  memoryMb: number;
  routes: number;
  policies: number;
  envBytes: number;
}

interface SpaceView {
  guid: string;
  name: string;
  org: { guid: string; name: string };
  quota: Quota;
  usage: Quota;
}

for (const kind of DATABASE_KINDS) {
  describe(`space quotas on ${kind}`, () => {
    let server: TestServer;
    let t: Tenancy;
    let domainGuid: string;
    let spaces = 0;

    before(async () => {
      server = await startServer({ database: await databases.fresh(kind, 'quotas') });
      t = await seedTenancy(server);
      const domains = await server.api<{ guid: string; name: string }[]>('GET', '/v1/domains');
      domainGuid = domains.body.find((d) => d.name === 'apps.internal')?.guid ?? '';
    });
    after(() => server?.stop());

    /** A space of its own for each test, with the given quota and a developer token for it. */
    async function space(quota: Partial<Quota>): Promise<{ guid: string; dev: string }> {
      const s = await created<{ guid: string }>(
        server.api('POST', '/v1/spaces', { name: `quota-${++spaces}`, orgGuid: t.orgGuid }),
      );
      await created(server.api('PUT', `/v1/spaces/${s.guid}/quota`, quota));
      const dev = await created<{ token: string }>(
        server.api('POST', '/v1/tokens', {
          name: `dev-${spaces}`,
          role: 'space_developer',
          spaceGuids: [s.guid],
        }),
      );
      return { guid: s.guid, dev: dev.token };
    }

    const newApp = (spaceGuid: string, name: string, extra: Record<string, unknown> = {}) => ({
      name,
      spaceGuid,
      command: 'sleep 1000',
      ...extra,
    });

    function refused(reply: { status: number; body: unknown }, what: RegExp): void {
      assert.equal(reply.status, 422, JSON.stringify(reply.body));
      assert.match((reply.body as { error: string }).error, what);
    }

    async function appsIn(spaceGuid: string): Promise<App[]> {
      return (await server.api<App[]>('GET', `/v1/apps?space_guid=${spaceGuid}`)).body;
    }

    async function view(spaceGuid: string, token?: string) {
      return server.api<SpaceView>('GET', `/v1/spaces/${spaceGuid}`, undefined, token);
    }

    test('a developer sees their space with its org, quota and usage, and no other space', async () => {
      const mine = await view(t.spaceA.guid, t.developerToken);
      assert.equal(mine.status, 200, JSON.stringify(mine.body));
      assert.equal(mine.body.name, 'space-a');
      assert.equal(mine.body.org.name, 'org');
      assert.deepEqual(mine.body.quota, {
        apps: 100,
        instances: 200,
        memoryMb: 20480,
        routes: 200,
        policies: 1000,
        envBytes: 65536,
      });
      assert.equal(mine.body.usage.apps, 3);
      assert.equal(mine.body.usage.instances, 3);
      assert.equal(mine.body.usage.memoryMb, 3 * 256);
      assert.equal((await view(t.spaceB.guid, t.developerToken)).status, 404);
    });

    test('a developer cannot change a quota, of their own space or another', async () => {
      for (const s of [t.spaceA, t.spaceB]) {
        const r = await server.api('PUT', `/v1/spaces/${s.guid}/quota`, { apps: 1000 }, t.developerToken);
        assert.ok(r.status === 403 || r.status === 404, `${r.status} ${JSON.stringify(r.body)}`);
      }
      assert.equal((await view(t.spaceA.guid)).body.quota.apps, 100);
    });

    test('a quota must be a whole number within its bounds', async () => {
      const s = await space({});
      for (const body of [
        { apps: -1 },
        { apps: 1.5 },
        { apps: 70_000 },
        { memoryMb: 2 ** 40 },
        { envBytes: 2 ** 21 },
      ]) {
        const r = await server.api('PUT', `/v1/spaces/${s.guid}/quota`, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      }
      assert.equal((await view(s.guid)).body.quota.apps, 100);
    });

    test('apps: a create over the quota is refused and leaves nothing; after the admin raises it, it succeeds', async () => {
      const s = await space({ apps: 2 });
      for (const name of ['one', 'two'])
        await created(server.api('POST', '/v1/apps', newApp(s.guid, name), s.dev));
      refused(await server.api('POST', '/v1/apps', newApp(s.guid, 'three'), s.dev), /apps.*\b3\b.*\b2\b/);
      // Admins are held to it too: the quota bounds the space, not the person.
      refused(await server.api('POST', '/v1/apps', newApp(s.guid, 'three')), /apps/);
      assert.deepEqual((await appsIn(s.guid)).map((a) => a.name).sort(), ['one', 'two']);

      await created(server.api('PUT', `/v1/spaces/${s.guid}/quota`, { apps: 3 }));
      await created(server.api('POST', '/v1/apps', newApp(s.guid, 'three'), s.dev));
      assert.equal((await view(s.guid, s.dev)).body.usage.apps, 3);
    });

    test('instances: scaling over the quota is refused and the app keeps its instances', async () => {
      const s = await space({ instances: 3 });
      const app = await created<App>(
        server.api('POST', '/v1/apps', newApp(s.guid, 'web', { instances: 2 }), s.dev),
      );
      refused(
        await server.api('PATCH', `/v1/apps/${app.guid}`, { instances: 4 }, s.dev),
        /instances.*\b4\b.*\b3\b/,
      );
      refused(
        await server.api('POST', '/v1/apps', newApp(s.guid, 'worker', { instances: 2 }), s.dev),
        /instances/,
      );
      assert.equal((await server.api<App>('GET', `/v1/apps/${app.guid}`)).body.instances, 2);
      assert.equal((await server.api<unknown[]>('GET', `/v1/apps/${app.guid}/instances`)).body.length, 2);
      assert.deepEqual(
        (await appsIn(s.guid)).map((a) => a.name),
        ['web'],
      );
    });

    test('memory: instances × memory over the quota is refused, by scale, by memory and by a new app', async () => {
      const s = await space({ memoryMb: 1024 });
      const app = await created<App>(
        server.api('POST', '/v1/apps', newApp(s.guid, 'web', { memoryMb: 512 }), s.dev),
      );
      refused(
        await server.api('PATCH', `/v1/apps/${app.guid}`, { instances: 3 }, s.dev),
        /memory.*\b1536\b.*\b1024\b/,
      );
      refused(await server.api('PATCH', `/v1/apps/${app.guid}`, { memoryMb: 2048 }, s.dev), /memory/);
      refused(
        await server.api('POST', '/v1/apps', newApp(s.guid, 'big', { memoryMb: 768 }), s.dev),
        /memory/,
      );
      const after = (await server.api<App>('GET', `/v1/apps/${app.guid}`)).body;
      assert.deepEqual([after.instances, after.memoryMb], [1, 512]);
      assert.equal((await view(s.guid, s.dev)).body.usage.memoryMb, 512);
    });

    test('routes: a route over the quota is refused and not created', async () => {
      const s = await space({ routes: 1 });
      await created(
        server.api('POST', '/v1/routes', { host: 'quota-r1', domainGuid, spaceGuid: s.guid }, s.dev),
      );
      refused(
        await server.api('POST', '/v1/routes', { host: 'quota-r2', domainGuid, spaceGuid: s.guid }, s.dev),
        /routes.*\b2\b.*\b1\b/,
      );
      const routes = (await server.api<Route[]>('GET', '/v1/routes')).body;
      assert.ok(!routes.some((r) => r.host === 'quota-r2'));
      assert.equal((await view(s.guid, s.dev)).body.usage.routes, 1);
    });

    test('policies: a batch over the quota is refused whole', async () => {
      const s = await space({ policies: 2 });
      const [a, b] = [
        await created<App>(server.api('POST', '/v1/apps', newApp(s.guid, 'a'), s.dev)),
        await created<App>(server.api('POST', '/v1/apps', newApp(s.guid, 'b'), s.dev)),
      ];
      const batch = [
        wirePolicy(a.guid, b.guid, 1000),
        wirePolicy(a.guid, b.guid, 1001),
        wirePolicy(b.guid, a.guid, 1002),
      ];
      // On Cloud Foundry's policy API a quota refusal is its 403 "policy quota exceeded", then weft's words.
      const overQuota = (reply: { status: number; body: unknown }) => {
        assert.equal(reply.status, 403, JSON.stringify(reply.body));
        assert.match(
          (reply.body as { error: string }).error,
          /^policy quota exceeded; .*policies.*\b3\b.*\b2\b/,
        );
      };
      overQuota(await server.api('POST', POLICIES, { policies: batch }, s.dev));
      const listed = await server.api<{ total_policies: number }>('GET', `${POLICIES}?id=${a.guid}`);
      assert.equal(listed.body.total_policies, 0);
      assert.equal((await server.api('POST', POLICIES, { policies: batch.slice(0, 2) }, s.dev)).status, 200);
      overQuota(await server.api('POST', POLICIES, { policies: batch.slice(2) }, s.dev));
      overQuota(await server.api('POST', POLICIES, { policies: batch.slice(2) }));
    });

    test('env: an app whose env is larger than the quota is refused, at create and at update', async () => {
      const s = await space({ envBytes: 100 });
      const big = { env: { BIG: 'x'.repeat(200) } };
      refused(await server.api('POST', '/v1/apps', newApp(s.guid, 'fat', big), s.dev), /env.*\b100\b/);
      const app = await created<App>(
        server.api('POST', '/v1/apps', newApp(s.guid, 'thin', { env: { A: '1' } }), s.dev),
      );
      refused(await server.api('PATCH', `/v1/apps/${app.guid}`, big, s.dev), /env/);
      assert.deepEqual((await server.api<App>('GET', `/v1/apps/${app.guid}`)).body.env, { A: '1' });
      assert.deepEqual(
        (await appsIn(s.guid)).map((a) => a.name),
        ['thin'],
      );
    });

    test('a quota cannot be lowered below what the space already uses', async () => {
      const s = await space({ apps: 2 });
      await created(server.api('POST', '/v1/apps', newApp(s.guid, 'one'), s.dev));
      await created(server.api('POST', '/v1/apps', newApp(s.guid, 'two'), s.dev));
      const r = await server.api<{ error: string }>('PUT', `/v1/spaces/${s.guid}/quota`, { apps: 1 });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.match(r.body.error, /apps.*\b2\b/);
      assert.equal((await view(s.guid)).body.quota.apps, 2);
    });

    test('many creates at once cannot overshoot the quota', async () => {
      const s = await space({ apps: 5 });
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          server.api('POST', '/v1/apps', newApp(s.guid, `race-${i}`), s.dev),
        ),
      );
      assert.equal(replies.filter((r) => r.status === 201).length, 5);
      for (const r of replies.filter((r) => r.status !== 201)) refused(r, /apps/);
      assert.equal((await appsIn(s.guid)).length, 5);
    });
  });
}
