// The change stream cells follow: snapshots for newcomers, every change after its write, and gap-free resumption.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FollowedMessage } from '../../../src/cell/stream-reader.js';
import type { Change, Policy, Snapshot } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { changesAfter } from '../../helpers/database-reader.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { createApp, guidOf, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';
import { watch, type Watch } from '../../helpers/watch.js';

const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
after(() => databases.stop());

const changes = (w: Watch): Change[] => w.messages.flatMap((m) => (m.type === 'change' ? [m.change] : []));
const isChange = (m: FollowedMessage, f: (c: Change) => boolean) => m.type === 'change' && f(m.change);

for (const kind of DATABASE_KINDS) {
  describe(`change stream on ${kind}`, () => {
    let server: TestServer;
    let database: string | undefined;
    let t: Tenancy;
    const watches: Watch[] = [];
    const follow = async (since: number) => {
      const w = await watch(server, since);
      watches.push(w);
      return w;
    };
    const revision = async () => (await server.api<{ revision: number }>('GET', '/v1/info')).body.revision;
    const post = async (path: string, body: unknown) => {
      const r = await server.api('POST', path, body);
      assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r;
    };

    before(async () => {
      database = await databases.fresh(kind, 'watch');
      server = await startServer({ database });
      t = await seedTenancy(server);
    });
    after(async () => {
      watches.forEach((w) => w.close());
      await server?.stop();
    });

    test('a client starting at revision 0 gets a snapshot of the current state first', async () => {
      const p = wirePolicy(guidOf(t, 'a1'), guidOf(t, 'a2'), 8080);
      await post(POLICIES, { policies: [p] });
      const latest = await changesAfter(database, server.home, 0);
      const w = await follow(0);
      const first = await w.until(() => true, 'a first message');
      assert.equal(first.type, 'snapshot');
      const snapshot = (first as { snapshot: Snapshot }).snapshot;
      assert.equal(snapshot.revision, latest.at(-1)?.revision);
      assert.equal(snapshot.overlayCidr, '10.99.0.0/16');
      assert.deepEqual(snapshot.apps.map((a) => a.name).sort(), ['a1', 'a2', 'a3', 'b1', 'b2']);
      const expected: Policy = {
        sourceAppGuid: p.source.id,
        destAppGuid: p.destination.id,
        protocol: 'tcp',
        startPort: 8080,
        endPort: 8080,
      };
      assert.deepEqual(snapshot.policies, [expected]);
      assert.deepEqual(snapshot.spaces.map((s) => s.name).sort(), ['space-a', 'space-b']);
      assert.ok(snapshot.domains.some((d) => d.name === 'apps.internal'));
    });

    test('a follower sees each write after it is acknowledged, in revision order', async () => {
      const w = await follow(await revision());
      const p = wirePolicy(guidOf(t, 'b1'), guidOf(t, 'b2'), 5353, 5353, 'udp');
      const key = `${p.source.id}>${p.destination.id}/udp/5353-5353`;
      await post(POLICIES, { policies: [p] });
      const put = await w.until(
        (m) => isChange(m, (c) => c.kind === 'policy' && c.op === 'put' && c.key === key),
        'the policy put',
      );
      await post(`${POLICIES}/delete`, { policies: [p] });
      const del = await w.until(
        (m) => isChange(m, (c) => c.op === 'delete' && c.key === key),
        'the policy delete',
      );
      assert.ok(put.type === 'change' && del.type === 'change' && del.change.revision > put.change.revision);
      assert.equal(
        w.messages.some((m) => m.type === 'snapshot'),
        false,
        'a current follower needs no snapshot',
      );

      const app = await createApp(server, t.spaceB.guid, 'late');
      await w.until((m) => isChange(m, (c) => c.kind === 'app' && c.key === app.guid), 'the new app');
      const revisions = changes(w).map((c) => c.revision);
      assert.deepEqual(
        revisions,
        [...revisions].sort((a, b) => a - b),
      );
    });

    test('a client resuming from an old revision, while writes go on, gets every change once', async () => {
      const resumeFrom = await revision();
      const apps: string[] = [];
      for (let i = 0; i < 4; i++) apps.push((await createApp(server, t.spaceA.guid, `resume-${i}`)).guid);
      const writes = (async () => {
        for (let i = 0; i < 40; i++) {
          const [a, b] = [apps[i % 4], apps[(i + 1) % 4]];
          assert.ok(a && b);
          await post(POLICIES, { policies: [wirePolicy(a, b, 10_000 + i)] });
          if (i % 3 === 0) await post(`${POLICIES}/delete`, { policies: [wirePolicy(a, b, 10_000 + i)] });
        }
      })();
      // Join while the writes are still coming, so the backlog and the live tail have to meet.
      const w = await follow(resumeFrom);
      await writes;
      const inDatabase = await changesAfter(database, server.home, resumeFrom);
      const last = inDatabase.at(-1)?.revision;
      assert.ok(last !== undefined);
      await w.until((m) => isChange(m, (c) => c.revision === last), `revision ${last}`);
      const seen = changes(w).map(({ revision, kind, op, key }) => ({ revision, kind, op, key }));
      assert.deepEqual(seen.slice(0, inDatabase.length), inDatabase);
      assert.equal(
        w.messages.some((m) => m.type === 'snapshot'),
        false,
      );
    });

    test('followers resuming from several old revisions all agree with the database', async () => {
      const latest = await revision();
      for (const since of [1, Math.floor(latest / 2), latest - 1]) {
        const w = await follow(since);
        await w.until((m) => isChange(m, (c) => c.revision === latest), `revision ${latest} from ${since}`);
        const seen = changes(w).map(({ revision, kind, op, key }) => ({ revision, kind, op, key }));
        assert.deepEqual(seen.slice(0, latest - since), await changesAfter(database, server.home, since));
        w.close();
      }
    });
  });
}

// Without a generous test timeout a regression here would hang the suite instead of failing it.
test('stopping the server ends the streams of followers still connected', { timeout: 120_000 }, async () => {
  const server = await startServer();
  try {
    const w = await watch(server, 0);
    await w.until((m) => m.type === 'snapshot', 'the snapshot');
    await server.stop();
    await w.ended();
  } finally {
    await server.stop();
  }
});
