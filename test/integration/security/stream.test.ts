// The change stream cannot be stalled or broken by a tenant: writes of any size reach followers whole,
// a snapshot of any size comes in bounded lines, a follower that stops reading is dropped without
// holding the others up, and a stream ends with the token that opened it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import https from 'node:https';
import type { FollowedMessage } from '../../../src/cell/stream-reader.js';
import { MAX_LINE_BYTES, type StreamMessage } from '../../../src/contract/stream.js';
import type { App, Change, Space } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { changesAfter, type ChangeRow } from '../../helpers/database-reader.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { created, wirePolicy } from '../../helpers/fixtures.js';
import { watch, type Watch } from '../../helpers/watch.js';

const POLICIES = '/networking/v1/external/policies';
const WAIT_MS = 90_000;
const databases = testDatabases();
after(() => databases.stop());

const changes = (messages: FollowedMessage[]): Change[] =>
  messages.flatMap((m) => (m.type === 'change' ? [m.change] : []));
const rows = (cs: Change[]): ChangeRow[] =>
  cs.map(({ revision, kind, op, key }) => ({ revision, kind, op, key }));

for (const kind of DATABASE_KINDS) {
  describe(`the change stream under attack on ${kind}`, () => {
    let server: TestServer;
    let database: string | undefined;
    let orgGuid: string;
    const watches: Watch[] = [];
    const stalled: StalledWatch[] = [];
    const follow = async (since: number, token = server.adminToken) => {
      const w = await watch(server, since, token);
      watches.push(w);
      return w;
    };
    const revision = async () => (await server.api<{ revision: number }>('GET', '/v1/info')).body.revision;
    const inDatabase = (since: number) => changesAfter(database, server.home, since);
    /** A space whose quota admits the volumes these attacks need (an admin raises it, as one would). */
    const space = async (name: string) => {
      const made = await created<Space>(server.api('POST', '/v1/spaces', { name, orgGuid }));
      const roomy = { instances: 1_000_000, memoryMb: 1_000_000_000 };
      await created(server.api('PUT', `/v1/spaces/${made.guid}/quota`, roomy));
      return made;
    };
    const app = (spaceGuid: string, name: string, extra: object = {}) =>
      created<App>(server.api('POST', '/v1/apps', { name, spaceGuid, command: 'sleep 1000', ...extra }));
    /** Waits until the follower holds every change the database logged after `since`, and returns them. */
    const everything = async (w: Watch, since: number) => {
      const logged = await inDatabase(since);
      const last = logged.at(-1)?.revision;
      assert.ok(last !== undefined, 'the test wrote nothing');
      await w.until((m) => m.type === 'change' && m.change.revision === last, `revision ${last}`);
      return logged;
    };

    before(async () => {
      database = await databases.fresh(kind, 'stream_security');
      server = await startServer({ database });
      orgGuid = (await created<{ guid: string }>(server.api('POST', '/v1/orgs', { name: 'org' }))).guid;
    });
    after(async () => {
      watches.forEach((w) => w.close());
      stalled.forEach((s) => s.close());
      await server?.stop();
    });

    test('one write of more than 10,000 changes reaches a follower whole and in order', async () => {
      const doomed = await space('doomed');
      for (let i = 0; i < 11; i++) await app(doomed.guid, `many-${i}`, { instances: 1000 });
      const since = await revision();
      const w = await follow(since);
      const deleted = await server.api('DELETE', `/v1/spaces/${doomed.guid}`);
      assert.equal(deleted.status, 204);
      const logged = await everything(w, since);
      assert.ok(logged.length > 11_000, `the delete logged only ${logged.length} changes`);
      assert.deepEqual(rows(changes(w.messages)), logged);
    });

    test('a snapshot of many megabytes comes in bounded lines, and a follower assembles all of it', async () => {
      const apps: App[] = [];
      const policies: ReturnType<typeof wirePolicy>[] = [];
      for (let s = 0; s < 5; s++) {
        const big = await space(`big-${s}`);
        const here: App[] = [];
        for (let a = 0; a < 30; a++) {
          const env = { BLOB: `${s}-${a}-`.padEnd(60 * 1024, 'x') };
          here.push(await app(big.guid, `big-${a}`, { env, instances: 150 }));
        }
        // Six sources, each allowed to every app of the space on five ports: 900 policies in the space.
        const mine = here
          .slice(0, 6)
          .flatMap((src) =>
            here.flatMap((dest) => [1, 2, 3, 4, 5].map((p) => wirePolicy(src.guid, dest.guid, 9000 + p))),
          );
        const r = await server.api('POST', POLICIES, { policies: mine });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        apps.push(...here);
        policies.push(...mine);
      }

      const w = await follow(0);
      const m = await w.until((x) => x.type === 'snapshot', 'the snapshot');
      assert.ok(m.type === 'snapshot');
      const total = w.lineBytes.reduce((a, b) => a + b, 0);
      assert.ok(
        total > 2 * MAX_LINE_BYTES,
        `the snapshot is only ${total} bytes: too small to prove anything`,
      );
      const longest = Math.max(...w.lineBytes);
      assert.ok(longest <= MAX_LINE_BYTES, `a line of ${longest} bytes`);
      const snapshotApps = new Map(m.snapshot.apps.map((a) => [a.guid, a]));
      // Env stays off the stream: a cell asks for it per instance placed on it.
      for (const { env, ...onStream } of apps) assert.deepEqual(snapshotApps.get(onStream.guid), onStream);
      const snapshotPolicies = new Set(
        m.snapshot.policies.map((p) => `${p.sourceAppGuid}>${p.destAppGuid}:${p.startPort}-${p.endPort}`),
      );
      for (const p of policies) {
        const key = `${p.source.id}>${p.destination.id}:${p.destination.ports.start}-${p.destination.ports.end}`;
        assert.ok(snapshotPolicies.has(key), `policy ${key} is in the snapshot`);
      }
      assert.equal(m.snapshot.policies.length, policies.length);
    });

    test('a follower that stops reading is dropped; the others get everything; it resumes whole', async () => {
      const busy = await space('busy');
      const bulk = await app(busy.guid, 'bulk', { instances: 0 });
      const since = await revision();
      const stuck = await stalledWatch(server, since);
      stalled.push(stuck);
      const reader = await follow(since);
      // Each scale up and down logs 2,000 instance changes: megabytes the stuck follower never takes.
      for (let i = 0; i < 20; i++) {
        for (const instances of [1000, 0]) {
          const r = await server.api('PATCH', `/v1/apps/${bulk.guid}`, { instances });
          assert.equal(r.status, 200);
        }
      }
      const logged = await everything(reader, since);
      assert.deepEqual(rows(changes(reader.messages)), logged);

      await until(() => /does not keep up/.test(server.log()), 'the server dropping the stuck follower');
      const before = changes(await stuck.readToEnd());
      const resumeFrom = before.at(-1)?.revision ?? since;
      assert.ok(resumeFrom < (logged.at(-1)?.revision ?? 0), 'the stuck follower was dropped before the end');
      const resumed = await follow(resumeFrom);
      await everything(resumed, resumeFrom);
      assert.deepEqual(rows([...before, ...changes(resumed.messages)]), logged);
    });

    test('revoking a token ends its open stream at once, and it opens no new one', async () => {
      const cell = await created<{ token: string }>(
        server.api('POST', '/v1/tokens', { name: 'cell-revoked', role: 'cell', cellId: 'c1' }),
      );
      const w = await follow(await revision(), cell.token);
      assert.equal((await server.api('DELETE', '/v1/tokens/cell-revoked')).status, 204);
      await w.ended();
      assert.equal((await server.api('GET', '/v1/watch?since=0', undefined, cell.token)).status, 401);
    });

    test('a stream ends when the token that opened it expires', async () => {
      const expiresAt = new Date(Date.now() + 3000);
      const cell = await created<{ token: string }>(
        server.api('POST', '/v1/tokens', {
          name: 'cell-expiring',
          role: 'cell',
          cellId: 'c2',
          expiresAt: expiresAt.toISOString(),
        }),
      );
      const w = await follow(await revision(), cell.token);
      await w.ended();
      assert.ok(Date.now() >= expiresAt.getTime(), 'the stream ended before the token expired');
      assert.equal((await server.api('GET', '/v1/watch?since=0', undefined, cell.token)).status, 401);
    });
  });
}

interface StalledWatch {
  /** Starts reading: everything the server got to send before it ended the stream, complete lines only. */
  readToEnd(): Promise<FollowedMessage[]>;
  close(): void;
}

/** A follower that connects and then reads nothing until told to. */
async function stalledWatch(server: TestServer, since: number): Promise<StalledWatch> {
  const req = https.get(`${server.url}/v1/watch?since=${since}`, {
    ca: server.caPem,
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  assert.equal(res.statusCode, 200);
  res.pause();
  // The server cuts the stream: the response ends incomplete, which is what this follower is for.
  req.on('error', () => undefined);
  res.on('error', () => undefined);
  return {
    readToEnd: () =>
      new Promise((resolve) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('close', () => {
          // The last line may be cut off with the stream.
          const complete = text.slice(0, text.lastIndexOf('\n') + 1);
          const messages = complete
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as StreamMessage);
          resolve(messages.flatMap((m) => (m.type === 'change' ? [m] : [])));
        });
        res.resume();
      }),
    close: () => req.destroy(),
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
