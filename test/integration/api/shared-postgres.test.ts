// Several control planes on one PostgreSQL database: a follower of one hears the writes made through
// another, in the database's revision order. (SQLite is one host's database, so this is PostgreSQL only.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Change } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { changesAfter } from '../../helpers/database-reader.js';
import { testDatabases } from '../../helpers/databases.js';
import { guidOf, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';
import { watch, type Watch } from '../../helpers/watch.js';

const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
const servers: TestServer[] = [];
const watches: Watch[] = [];
let database: string | undefined;
let t: Tenancy;

before(async () => {
  database = await databases.fresh('postgres', 'shared');
  const first = await startServer({ database });
  servers.push(first);
  servers.push(await startServer({ database, adminToken: first.adminToken }));
  t = await seedTenancy(first);
});
after(async () => {
  watches.forEach((w) => w.close());
  for (const s of servers) await s.stop();
  await databases.stop();
});

test('a follower of one server hears, in order, every write made through either server', async () => {
  const [a, b] = servers;
  assert.ok(a && b);
  const since = (await b.api<{ revision: number }>('GET', '/v1/info')).body.revision;
  const w = await watch(b, since);
  watches.push(w);

  const writes = Array.from({ length: 20 }, (_, i) => {
    const through = i % 2 === 0 ? a : b;
    return through.api('POST', POLICIES, {
      policies: [wirePolicy(guidOf(t, 'a1'), guidOf(t, 'b1'), 20_000 + i)],
    });
  });
  for (const r of await Promise.all(writes)) assert.equal(r.status, 200);

  const inDatabase = await changesAfter(database, a.home, since);
  assert.equal(inDatabase.length, 20);
  const last = inDatabase.at(-1)?.revision;
  await w.until(
    (m) => m.type === 'change' && m.change.revision === last,
    `revision ${last} on the other server`,
  );
  const seen = w.messages
    .flatMap((m): Change[] => (m.type === 'change' ? [m.change] : []))
    .map(({ revision, kind, op, key }) => ({ revision, kind, op, key }));
  assert.deepEqual(seen, inDatabase);
});
