// Routes belong to the space that created them. Another space can neither take the name over nor map
// its apps to it: DNS and the 61443 certificate of a name stay with its owner's apps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import type { Domain, Route } from '../../../src/model/types.js';
import { seedPlatform, type Platform } from './platform.js';

const databases = testDatabases();
after(() => databases.stop());

for (const kind of DATABASE_KINDS) {
  describe(`route ownership on ${kind}`, () => {
    let server: TestServer;
    let p: Platform;
    let domain: Domain;
    let route: Route;
    before(async () => {
      server = await startServer({ database: await databases.fresh(kind, 'routes') });
      p = await seedPlatform(server);
      const domains = await server.api<Domain[]>('GET', '/v1/domains', undefined, p.devA);
      const internal = domains.body.find((d) => d.name === 'apps.internal');
      assert.ok(internal);
      domain = internal;
      const made = await server.api<Route>(
        'POST',
        '/v1/routes',
        { host: 'payments', domainGuid: domain.guid, spaceGuid: p.spaceA.guid },
        p.devA,
      );
      assert.equal(made.status, 201, JSON.stringify(made.body));
      route = made.body;
      const mapped = await server.api(
        'PUT',
        `/v1/routes/${route.guid}/apps/${p.apps.a1?.guid}`,
        undefined,
        p.devA,
      );
      assert.equal(mapped.status, 200);
    });
    after(() => server?.stop());

    test('another space cannot create a route whose name a space already owns', async () => {
      const r = await server.api<{ error: string }>(
        'POST',
        '/v1/routes',
        { host: 'payments', domainGuid: domain.guid, spaceGuid: p.spaceB.guid },
        p.devB,
      );
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.match(r.body.error, /another space/);
    });

    test('another space cannot map its app to a route it does not own', async () => {
      const r = await server.api(
        'PUT',
        `/v1/routes/${route.guid}/apps/${p.apps.b1?.guid}`,
        undefined,
        p.devB,
      );
      assert.equal(r.status, 404);
      const asAdmin = await server.api<{ error: string }>(
        'PUT',
        `/v1/routes/${route.guid}/apps/${p.apps.b1?.guid}`,
      );
      assert.equal(asAdmin.status, 400, 'not even an admin maps a route to an app of another space');
      assert.match(asAdmin.body.error, /space/);
      const now = (await server.api<Route[]>('GET', '/v1/routes')).body.find((r) => r.guid === route.guid);
      assert.deepEqual(now?.appGuids, [p.apps.a1?.guid]);
    });

    test('a developer cannot create a route in a space they do not develop in', async () => {
      const r = await server.api(
        'POST',
        '/v1/routes',
        { host: 'fresh', domainGuid: domain.guid, spaceGuid: p.spaceB.guid },
        p.devA,
      );
      assert.equal(r.status, 404);
    });

    test('another space can neither unmap nor delete the route', async () => {
      const unmap = await server.api(
        'DELETE',
        `/v1/routes/${route.guid}/apps/${p.apps.a1?.guid}`,
        undefined,
        p.devB,
      );
      assert.equal(unmap.status, 404);
      const del = await server.api('DELETE', `/v1/routes/${route.guid}`, undefined, p.devB);
      assert.ok(del.status === 404 || del.status === 403, String(del.status));
      const still = (await server.api<Route[]>('GET', '/v1/routes')).body.find((r) => r.guid === route.guid);
      assert.deepEqual(still?.appGuids, [p.apps.a1?.guid]);
    });

    test('a developer lists only the routes of their spaces', async () => {
      const mine = await server.api<Route[]>('GET', '/v1/routes', undefined, p.devB);
      assert.equal(mine.status, 200);
      assert.ok(!mine.body.some((r) => r.guid === route.guid));
      const owner = await server.api<Route[]>('GET', '/v1/routes', undefined, p.devA);
      assert.ok(owner.body.some((r) => r.guid === route.guid));
    });

    test('the owning space keeps using its route: create again finds it, delete works', async () => {
      const again = await server.api<Route>(
        'POST',
        '/v1/routes',
        { host: 'payments', domainGuid: domain.guid, spaceGuid: p.spaceA.guid },
        p.devA,
      );
      assert.ok(again.status === 200 || again.status === 201);
      assert.equal(again.body.guid, route.guid);
      const other = await server.api<Route>(
        'POST',
        '/v1/routes',
        { host: 'scratch', domainGuid: domain.guid, spaceGuid: p.spaceA.guid },
        p.devA,
      );
      assert.equal(
        (await server.api('DELETE', `/v1/routes/${other.body.guid}`, undefined, p.devA)).status,
        204,
      );
    });
  });
}
