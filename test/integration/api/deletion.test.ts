// Deleting a space, an org or a domain takes everything in it, and every follower hears each part go.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Domain, Instance, Org, Route, Space } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { changesAfter } from '../../helpers/database-reader.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { created, guidOf, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';

const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
after(() => databases.stop());

for (const kind of DATABASE_KINDS) {
  describe(`deleting orgs, spaces and domains on ${kind}`, () => {
    let server: TestServer;
    let database: string | undefined;
    let t: Tenancy;
    let route: Route;
    let inside: Route;
    const guid = (name: string) => guidOf(t, name);
    const revision = async () => (await server.api<{ revision: number }>('GET', '/v1/info')).body.revision;

    before(async () => {
      database = await databases.fresh(kind, 'deletion');
      server = await startServer({ database });
      t = await seedTenancy(server);
      const policies = [
        wirePolicy(guid('a1'), guid('a2')),
        wirePolicy(guid('b1'), guid('a1')),
        wirePolicy(guid('b1'), guid('b2')),
      ];
      await created(server.api('POST', POLICIES, { policies }));
      const domains = await server.api<Domain[]>('GET', '/v1/domains');
      const internal = domains.body.find((d) => d.name === 'apps.internal');
      assert.ok(internal);
      route = await created<Route>(
        server.api('POST', '/v1/routes', {
          host: 'kept',
          domainGuid: internal.guid,
          spaceGuid: t.spaceB.guid,
        }),
      );
      await created(server.api('PUT', `/v1/routes/${route.guid}/apps/${guid('b1')}`));
      inside = await created<Route>(
        server.api('POST', '/v1/routes', {
          host: 'inside',
          domainGuid: internal.guid,
          spaceGuid: t.spaceA.guid,
        }),
      );
      for (const app of ['a1', 'a2'])
        await created(server.api('PUT', `/v1/routes/${inside.guid}/apps/${guid(app)}`));
    });
    after(() => server?.stop());

    test('a space developer may not delete their space or its org', async () => {
      const dev = t.developerToken;
      assert.equal((await server.api('DELETE', `/v1/spaces/${t.spaceA.guid}`, undefined, dev)).status, 403);
      assert.equal((await server.api('DELETE', `/v1/orgs/${t.orgGuid}`, undefined, dev)).status, 403);
    });

    test('deleting a space takes its apps, their instances, policies and routes', async () => {
      const instances = (
        await Promise.all(
          ['a1', 'a2', 'a3'].map((a) => server.api<Instance[]>('GET', `/v1/apps/${guid(a)}/instances`)),
        )
      ).flatMap((r) => r.body.map((i) => i.guid));
      assert.equal(instances.length, 3, 'each app runs an instance');
      const before = await revision();

      assert.equal((await server.api('DELETE', `/v1/spaces/${t.spaceA.guid}`)).status, 204);

      const apps = await server.api<{ name: string }[]>('GET', '/v1/apps');
      assert.deepEqual(apps.body.map((a) => a.name).sort(), ['b1', 'b2']);
      const policies = await server.api<{ policies: unknown[] }>('GET', POLICIES);
      assert.deepEqual(policies.body.policies, [wirePolicy(guid('b1'), guid('b2'))]);
      const routes = await server.api<Route[]>('GET', '/v1/routes');
      assert.deepEqual(
        routes.body.map((r) => [r.host, r.appGuids]),
        [['kept', [guid('b1')]]],
      );
      const spaces = await server.api<Space[]>('GET', '/v1/spaces');
      assert.deepEqual(
        spaces.body.map((s) => s.name),
        ['space-b'],
      );

      const changes = await changesAfter(database, server.home, before);
      const deleted = (k: string) =>
        changes.filter((c) => c.kind === k && c.op === 'delete').map((c) => c.key);
      assert.deepEqual(deleted('app').sort(), [guid('a1'), guid('a2'), guid('a3')].sort());
      assert.deepEqual(deleted('instance').sort(), instances.sort());
      assert.equal(deleted('policy').length, 2);
      assert.deepEqual(deleted('space'), [t.spaceA.guid]);
      assert.deepEqual(deleted('route'), [inside.guid]);

      const dev = await server.api<unknown[]>('GET', '/v1/apps', undefined, t.developerToken);
      assert.deepEqual(dev.body, [], 'the developer of a deleted space sees nothing');
      assert.equal((await server.api('DELETE', `/v1/spaces/${t.spaceA.guid}`)).status, 404);
    });

    test('deleting a domain takes its routes off every app, and leaves the apps', async () => {
      const corp = await created<Domain>(
        server.api('POST', '/v1/domains', { name: 'corp.internal', internal: true }),
      );
      const svc = await created<Route>(
        server.api('POST', '/v1/routes', { host: 'svc', domainGuid: corp.guid, spaceGuid: t.spaceB.guid }),
      );
      await created(server.api('PUT', `/v1/routes/${svc.guid}/apps/${guid('b1')}`));
      const dev = t.developerToken;
      assert.equal((await server.api('DELETE', `/v1/domains/${corp.guid}`, undefined, dev)).status, 403);
      const before = await revision();

      assert.equal((await server.api('DELETE', `/v1/domains/${corp.guid}`)).status, 204);

      const domains = await server.api<Domain[]>('GET', '/v1/domains');
      assert.equal(
        domains.body.some((d) => d.guid === corp.guid),
        false,
      );
      const routes = await server.api<Route[]>('GET', '/v1/routes');
      assert.equal(
        routes.body.some((r) => r.guid === svc.guid),
        false,
      );
      const apps = await server.api<{ name: string }[]>('GET', '/v1/apps');
      assert.deepEqual(apps.body.map((a) => a.name).sort(), ['b1', 'b2']);
      const changes = await changesAfter(database, server.home, before);
      assert.deepEqual(
        changes.map((c) => `${c.kind} ${c.op} ${c.key}`),
        [`route delete ${svc.guid}`, `domain delete ${corp.guid}`],
      );
      assert.equal((await server.api('DELETE', `/v1/domains/${corp.guid}`)).status, 404);
    });

    test('deleting an org takes its spaces, their apps and routes, and leaves the domains', async () => {
      const other = await created<Org>(server.api('POST', '/v1/orgs', { name: 'other' }));
      assert.equal((await server.api('DELETE', `/v1/orgs/${t.orgGuid}`)).status, 204);

      const orgs = await server.api<Org[]>('GET', '/v1/orgs');
      assert.deepEqual(orgs.body, [other]);
      assert.deepEqual((await server.api<Space[]>('GET', '/v1/spaces')).body, []);
      assert.deepEqual((await server.api<unknown[]>('GET', '/v1/apps')).body, []);
      assert.deepEqual((await server.api<{ policies: unknown[] }>('GET', POLICIES)).body.policies, []);
      assert.deepEqual((await server.api<Route[]>('GET', '/v1/routes')).body, []);
      const domains = await server.api<Domain[]>('GET', '/v1/domains');
      assert.ok(domains.body.some((d) => d.name === 'apps.internal'));
      assert.equal((await server.api('DELETE', `/v1/orgs/${t.orgGuid}`)).status, 404);
      assert.equal((await server.api('GET', '/healthz')).status, 200);
    });
  });
}
