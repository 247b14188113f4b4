// SIGKILL in the middle of a stream of writes loses no acknowledged write, on SQLite and on PostgreSQL,
// and a restarted server keeps every org, space, app, route, policy and token.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Change, Route } from '../../../src/model/types.js';
import { startServer, tempDir, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { created, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';
import { watch } from '../../helpers/watch.js';

const POLICIES = '/networking/v1/external/policies';
const WRITERS = 4;
const KILL_AFTER_ACKS = 120;
const databases = testDatabases();
after(() => databases.stop());

/** Everything the killed server acknowledged, to look for after the restart. */
interface Acknowledged {
  orgs: string[];
  apps: string[];
  routes: { guid: string; appGuid: string }[];
  policies: ReturnType<typeof wirePolicy>[];
  tokens: string[];
}

type Write = (n: number) => Promise<(acked: Acknowledged) => void>;

function writes(server: TestServer, t: Tenancy, domainGuid: string): Write[] {
  const a1 = t.apps.a1?.guid ?? '';
  const ok = async <T>(method: string, path: string, body: unknown) => {
    const r = await server.api<T>(method, path, body);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return [
    async (n) => {
      const org = await ok<{ guid: string }>('POST', '/v1/orgs', { name: `org-${n}` });
      return (acked) => acked.orgs.push(org.guid);
    },
    async (n) => {
      const app = { name: `app-${n}`, spaceGuid: t.spaceA.guid, command: 'sleep 1' };
      const made = await ok<{ guid: string }>('POST', '/v1/apps', app);
      return (acked) => acked.apps.push(made.guid);
    },
    async (n) => {
      const policy = wirePolicy(a1, t.apps.b1?.guid ?? '', 1000 + n);
      await ok('POST', POLICIES, { policies: [policy] });
      return (acked) => acked.policies.push(policy);
    },
    async (n) => {
      const route = await ok<Route>('POST', '/v1/routes', {
        host: `host-${n}`,
        domainGuid,
        spaceGuid: t.spaceA.guid,
      });
      await ok('PUT', `/v1/routes/${route.guid}/apps/${a1}`, undefined);
      return (acked) => acked.routes.push({ guid: route.guid, appGuid: a1 });
    },
    async (n) => {
      const token = await ok<{ token: string }>('POST', '/v1/tokens', {
        name: `cell-${n}`,
        role: 'cell',
        cellId: `cell-${n}`,
      });
      return (acked) => acked.tokens.push(token.token);
    },
  ];
}

/** Writes from several clients at once until the server dies under them; returns what it acknowledged. */
async function writeUntilKilled(server: TestServer, t: Tenancy, domainGuid: string): Promise<Acknowledged> {
  const acked: Acknowledged = { orgs: [], apps: [], routes: [], policies: [], tokens: [] };
  const kinds = writes(server, t, domainGuid);
  let count = 0;
  let next = 0;
  const killing: Promise<void>[] = [];
  const writer = async () => {
    for (;;) {
      const n = next++;
      const kind = kinds[n % kinds.length];
      assert.ok(kind);
      let record: (acked: Acknowledged) => void;
      try {
        record = await kind(n);
      } catch (err) {
        // Only a dead server may make a write fail; anything else is a bug to report.
        if (killing.length > 0 && err instanceof TypeError) return;
        throw err;
      }
      record(acked);
      if (++count === KILL_AFTER_ACKS) killing.push(server.kill());
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  await Promise.all(killing);
  return acked;
}

for (const kind of DATABASE_KINDS) {
  describe(`durability on ${kind}`, () => {
    const home = tempDir('weft-durable-');
    const servers: TestServer[] = [];
    after(async () => {
      for (const s of servers) await s.stop();
      fs.rmSync(home, { recursive: true, force: true });
    });

    test('SIGKILL during concurrent writes loses no acknowledged write, and a restart keeps everything', async () => {
      const database = await databases.fresh(kind, 'durability');
      const first = await startServer({ home, database });
      servers.push(first);
      const t = await seedTenancy(first);
      const domains = await first.api<{ guid: string; name: string }[]>('GET', '/v1/domains');
      const domainGuid = domains.body.find((d) => d.name === 'apps.internal')?.guid ?? '';

      const acked = await writeUntilKilled(first, t, domainGuid);
      assert.ok(acked.orgs.length > 0 && acked.apps.length > 0 && acked.policies.length > 0);
      assert.ok(acked.routes.length > 0 && acked.tokens.length > 0);

      const second = await startServer({ home, database });
      servers.push(second);
      assert.equal(second.adminToken, first.adminToken, 'the admin token is not replaced');

      const orgs = new Set((await second.api<{ guid: string }[]>('GET', '/v1/orgs')).body.map((o) => o.guid));
      for (const guid of [t.orgGuid, ...acked.orgs]) assert.ok(orgs.has(guid), `org ${guid} survived`);
      const spaces = new Set(
        (await second.api<{ guid: string }[]>('GET', '/v1/spaces')).body.map((s) => s.guid),
      );
      assert.ok(spaces.has(t.spaceA.guid) && spaces.has(t.spaceB.guid));
      const apps = new Set((await second.api<{ guid: string }[]>('GET', '/v1/apps')).body.map((a) => a.guid));
      for (const guid of [...Object.values(t.apps).map((a) => a.guid), ...acked.apps]) {
        assert.ok(apps.has(guid), `app ${guid} survived`);
      }
      const routes = (await second.api<Route[]>('GET', '/v1/routes')).body;
      for (const r of acked.routes) {
        assert.ok(
          routes.find((x) => x.guid === r.guid)?.appGuids.includes(r.appGuid),
          `route ${r.guid} is mapped`,
        );
      }
      const listed = (await second.api<{ policies: unknown[] }>('GET', POLICIES)).body.policies.map((p) =>
        JSON.stringify(p),
      );
      for (const p of acked.policies)
        assert.ok(listed.includes(JSON.stringify(p)), `policy ${JSON.stringify(p)} survived`);
      for (const token of [...acked.tokens, t.developerToken]) {
        assert.equal((await second.api('GET', '/v1/info', undefined, token)).status, 200, 'a token survived');
      }

      // The change stream came back whole too: a new follower's snapshot holds every acknowledged policy.
      const w = await watch(second, 0);
      try {
        const m = await w.until((x) => x.type === 'snapshot', 'the snapshot');
        assert.ok(m.type === 'snapshot');
        const inSnapshot = new Set(
          m.snapshot.policies.map((p) => `${p.sourceAppGuid}>${p.destAppGuid}:${p.startPort}`),
        );
        for (const p of acked.policies)
          assert.ok(inSnapshot.has(`${p.source.id}>${p.destination.id}:${p.destination.ports.start}`));

        const app = await created<{ guid: string }>(
          second.api('POST', '/v1/apps', {
            name: 'after-restart',
            spaceGuid: t.spaceB.guid,
            command: 'true',
          }),
        );
        const change = await w.until((x) => x.type === 'change' && x.change.key === app.guid, 'the new app');
        assert.ok((change as { change: Change }).change.revision > m.snapshot.revision);
      } finally {
        w.close();
      }
    });
  });
}
