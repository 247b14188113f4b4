// Cloud Foundry's external policy API, driven by the real curl, on SQLite and on PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { curl } from '../../helpers/curl.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { createApp, wirePolicy } from '../../helpers/fixtures.js';

type WirePolicy = ReturnType<typeof wirePolicy>;
interface PolicyList {
  total_policies: number;
  policies: WirePolicy[];
}

const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
after(() => databases.stop());

const byKey = (p: WirePolicy) => JSON.stringify(p);
const sorted = (ps: WirePolicy[]) => [...ps].sort((a, b) => byKey(a).localeCompare(byKey(b)));

/** A client of the policy API, as a script would use it with curl. */
function policyClient(server: TestServer, token = server.adminToken) {
  const json = ['--header', 'Content-Type: application/json'];
  return {
    create: (policies: unknown, args = json) =>
      curl<unknown>(`${server.url}${POLICIES}`, {
        method: 'POST',
        token,
        data: typeof policies === 'string' ? policies : JSON.stringify({ policies }),
        args,
        cacert: server.caFile,
      }),
    remove: (policies: unknown) =>
      curl<unknown>(`${server.url}${POLICIES}/delete`, {
        method: 'POST',
        token,
        data: JSON.stringify({ policies }),
        args: json,
        cacert: server.caFile,
      }),
    list: async (query = '') => {
      const r = await curl<PolicyList>(`${server.url}${POLICIES}${query}`, {
        token,
        cacert: server.caFile,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.total_policies, r.body.policies.length);
      return sorted(r.body.policies);
    },
  };
}

/** Fresh apps per test, so each test's policies are told apart by their GUIDs. */
async function freshApps(server: TestServer, prefix: string, count: number): Promise<string[]> {
  const spaces = await server.api<{ guid: string }[]>('GET', '/v1/spaces');
  const space = spaces.body[0];
  assert.ok(space);
  const guids: string[] = [];
  for (let i = 0; i < count; i++) guids.push((await createApp(server, space.guid, `${prefix}-${i}`)).guid);
  return guids;
}

/** An org with one space; answers a space developer's token for it. */
async function seedSpace(server: TestServer): Promise<string> {
  const org = await server.api<{ guid: string }>('POST', '/v1/orgs', { name: 'policies' });
  assert.equal(org.status, 201);
  const space = await server.api<{ guid: string }>('POST', '/v1/spaces', {
    name: 'dev',
    orgGuid: org.body.guid,
  });
  assert.equal(space.status, 201);
  const dev = await server.api<{ token: string }>('POST', '/v1/tokens', {
    name: 'dev',
    role: 'space_developer',
    spaceGuids: [space.body.guid],
  });
  assert.equal(dev.status, 201);
  return dev.body.token;
}

function assertBadRequest(reply: { status: number; body: unknown }, field: RegExp): void {
  assert.equal(reply.status, 400, JSON.stringify(reply.body));
  const body = reply.body as { error?: unknown };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(typeof body.error, 'string');
  assert.match(body.error as string, field);
}

for (const kind of DATABASE_KINDS) {
  describe(`policy API on ${kind}`, () => {
    let server: TestServer;
    let client: ReturnType<typeof policyClient>;

    before(async () => {
      server = await startServer({ database: await databases.fresh(kind, 'policies') });
      client = policyClient(server);
      await seedSpace(server);
    });
    after(() => server?.stop());

    test('curl creates, lists and deletes policies, even without a JSON content type', async () => {
      const [a, b, c] = await freshApps(server, 'crud', 3);
      assert.ok(a && b && c);
      const tcp = wirePolicy(a, b, 8080);
      const udp = wirePolicy(a, c, 5000, 5010, 'udp');
      const self = wirePolicy(a, a, 9000);
      // curl -d sends application/x-www-form-urlencoded unless told otherwise, as many scripts do.
      const made = await client.create([tcp, udp, self], []);
      assert.equal(made.status, 200, JSON.stringify(made.body));
      assert.deepEqual(await client.list(`?id=${a}`), sorted([tcp, udp, self]));

      const removed = await client.remove([tcp, self]);
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual(await client.list(`?id=${a}`), [udp]);
    });

    test('list filters by id, source_id and dest_id, each taking comma-separated GUIDs', async () => {
      const [x, y, z] = await freshApps(server, 'filter', 3);
      assert.ok(x && y && z);
      const xy = wirePolicy(x, y);
      const yz = wirePolicy(y, z, 7000, 7100);
      const zx = wirePolicy(z, x, 53, 53, 'udp');
      const xx = wirePolicy(x, x, 9999);
      assert.equal((await client.create([xy, yz, zx, xx])).status, 200);

      assert.deepEqual(await client.list(`?id=${x}`), sorted([xy, zx, xx]));
      assert.deepEqual(await client.list(`?id=${y},${z}`), sorted([xy, yz, zx]));
      assert.deepEqual(await client.list(`?source_id=${x},${y}`), sorted([xy, yz, xx]));
      assert.deepEqual(await client.list(`?dest_id=${z}`), [yz]);
      assert.deepEqual(await client.list(`?dest_id=${x},${y}`), sorted([xy, zx, xx]));
      assert.deepEqual(await client.list(`?source_id=${x}&dest_id=${y}`), [xy]);
      assert.deepEqual(await client.list(`?id=00000000-0000-0000-0000-000000000000`), []);

      const all = await client.list();
      for (const p of [xy, yz, zx, xx])
        assert.ok(
          all.some((q) => byKey(q) === byKey(p)),
          `${byKey(p)} listed`,
        );
    });

    test('creating a policy that exists already succeeds and leaves one copy', async () => {
      const [a, b] = await freshApps(server, 'idem', 2);
      assert.ok(a && b);
      const p = wirePolicy(a, b, 8080);
      const q = wirePolicy(a, b, 8081);
      assert.equal((await client.create([p])).status, 200);
      assert.equal((await client.create([p])).status, 200);
      assert.equal((await client.create([p, q, q])).status, 200);
      assert.deepEqual(await client.list(`?source_id=${a}`), sorted([p, q]));
      // Deleting what is not there is fine too, as in Cloud Foundry.
      assert.equal((await client.remove([p, p])).status, 200);
      assert.equal((await client.remove([p])).status, 200);
      assert.deepEqual(await client.list(`?source_id=${a}`), [q]);
    });

    test('each invalid policy is refused with a 400 naming the field, and nothing of its batch is written', async () => {
      const [a, b] = await freshApps(server, 'invalid', 2);
      assert.ok(a && b);
      const ok = wirePolicy(a, b, 8080);
      const source = { id: a };
      const ports = { start: 9090, end: 9090 };
      const cases: [string, unknown, RegExp][] = [
        ['port 0', wirePolicy(a, b, 0, 10), /policies\[1\]\.destination\.ports\.start/],
        ['port 65536', wirePolicy(a, b, 8080, 65536), /policies\[1\]\.destination\.ports\.end/],
        ['negative port', wirePolicy(a, b, -1, 80), /policies\[1\]\.destination\.ports\.start/],
        ['fractional port', wirePolicy(a, b, 80.5, 81), /body: 80\.5 is not an integer/],
        [
          'port as a string',
          wirePolicy(a, b, '80' as unknown as number, 81),
          /ports\.start: expected integer/,
        ],
        [
          'start after end',
          wirePolicy(a, b, 9000, 8000),
          /policies\[1\]\.destination\.ports: start 9000 is greater than end 8000/,
        ],
        ['protocol icmp', wirePolicy(a, b, 8080, 8080, 'icmp'), /policies\[1\]\.destination\.protocol/],
        ['protocol TCP', wirePolicy(a, b, 8080, 8080, 'TCP'), /policies\[1\]\.destination\.protocol/],
        [
          'no source',
          { destination: { id: b, protocol: 'tcp', ports } },
          /policies\[1\]\.source: is required/,
        ],
        [
          'no destination id',
          { source, destination: { protocol: 'tcp', ports } },
          /policies\[1\]\.destination\.id: is required/,
        ],
        [
          'no protocol',
          { source, destination: { id: b, ports } },
          /policies\[1\]\.destination\.protocol: is required/,
        ],
        [
          'no ports',
          { source, destination: { id: b, protocol: 'tcp' } },
          /policies\[1\]\.destination\.ports: is required/,
        ],
        [
          'no end port',
          { source, destination: { id: b, protocol: 'udp', ports: { start: 1 } } },
          /policies\[1\]\.destination\.ports\.end: is required/,
        ],
        [
          'empty source id',
          { source: { id: '' }, destination: { id: b, protocol: 'tcp', ports } },
          /policies\[1\]\.source\.id/,
        ],
        ['a policy that is not an object', 'tcp', /policies\[1\]/],
      ];
      for (const [name, bad, field] of cases) {
        const reply = await client.create([ok, bad]);
        assertBadRequest(reply, field);
        assert.deepEqual(await client.list(`?id=${a},${b}`), [], `${name}: nothing written`);
      }
    });

    test('malformed, empty, shapeless and oversize bodies are refused with a 400', async () => {
      const before = await client.list();
      assertBadRequest(await client.create('{"policies": [{"source": '), /body: malformed JSON/);
      assertBadRequest(await client.create('{"policies": [}'), /body: malformed JSON/);
      assertBadRequest(await client.create(''), /body/);
      assertBadRequest(await client.create('{}'), /policies: is required/);
      assertBadRequest(await client.create('[]'), /^mapper: unmarshal json; body: expected object/);
      assertBadRequest(await client.create('{"policies": {}}'), /policies/);
      assertBadRequest(
        await client.create('{"policies": []}'),
        /^mapper: validate policies: missing policies/,
      );
      const [a, b] = await freshApps(server, 'big', 2);
      assert.ok(a && b);
      const huge = JSON.stringify({ policies: [wirePolicy(a, b)], padding: 'x'.repeat(11 * 1024 * 1024) });
      assertBadRequest(await client.create(huge), /body: larger than/);
      assert.deepEqual(await client.list(), before);
    });

    test('JSON is read whatever content type the client sends, or none', async () => {
      const [a, b] = await freshApps(server, 'ctype', 2);
      assert.ok(a && b);
      const headers: [string, string[]][] = [
        ['text/plain', ['--header', 'Content-Type: text/plain;charset=UTF-8']],
        ['none', ['--header', 'Content-Type:']],
        ['application/json', ['--header', 'Content-Type: application/json; charset=utf-8']],
      ];
      for (const [i, [name, args]] of headers.entries()) {
        const reply = await client.create([wirePolicy(a, b, 6000 + i)], args);
        assert.equal(reply.status, 200, `${name}: ${JSON.stringify(reply.body)}`);
      }
      assert.equal((await client.list(`?id=${a}`)).length, headers.length);
    });

    test('a NUL character anywhere in the input is refused with a 400 naming the field', async () => {
      const [a, b] = await freshApps(server, 'nul', 2);
      assert.ok(a && b);
      assertBadRequest(
        await client.create([wirePolicy(a, b), wirePolicy(`${a}\u0000`, b)]),
        /policies\[1\]\.source\.id: contains a NUL/,
      );
      assertBadRequest(
        await client.create([wirePolicy(a, b, 80, 80, 'tcp\u0000')]),
        /policies\[0\]\.destination\.protocol: contains a NUL/,
      );
      const list = await curl(`${server.url}${POLICIES}?dest_id=${b}%00`, {
        token: server.adminToken,
        cacert: server.caFile,
      });
      assertBadRequest(list, /querystring\.dest_id: contains a NUL/);
      assert.deepEqual(await client.list(`?id=${a}`), []);
    });

    test('a delete batch with an invalid policy deletes nothing', async () => {
      const [a, b] = await freshApps(server, 'del', 2);
      assert.ok(a && b);
      const p = wirePolicy(a, b, 8080);
      assert.equal((await client.create([p])).status, 200);
      assertBadRequest(
        await client.remove([p, wirePolicy(a, b, 70000)]),
        /policies\[1\]\.destination\.ports\.start/,
      );
      assertBadRequest(
        await client.remove([p, wirePolicy(a, b, 10, 5)]),
        /policies\[1\]\.destination\.ports/,
      );
      assert.deepEqual(await client.list(`?id=${a}`), [p]);
    });
  });

  describe(`policy limits on ${kind}, with --max-policies-per-app 3 --no-unproxied-port-mappings`, () => {
    let server: TestServer;
    let client: ReturnType<typeof policyClient>;
    let developer: ReturnType<typeof policyClient>;

    before(async () => {
      server = await startServer({
        database: await databases.fresh(kind, 'limits'),
        flags: ['--max-policies-per-app', '3', '--no-unproxied-port-mappings'],
      });
      client = policyClient(server);
      developer = policyClient(server, await seedSpace(server));
    });
    after(() => server?.stop());

    test('a developer’s source app may have 3 policies; a batch going over is refused whole with a 403', async () => {
      const [a, b, c] = await freshApps(server, 'limit', 3);
      assert.ok(a && b && c);
      const first = [wirePolicy(a, b, 61443), wirePolicy(a, c, 61443)];
      assert.equal((await developer.create(first)).status, 200);

      const over = [wirePolicy(a, b, 61001), wirePolicy(a, c, 61002)];
      const refused = await developer.create(over);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.match(
        (refused.body as { error: string }).error,
        /^policy quota exceeded; app .* would have 4 policies as a source, more than the 3/,
      );
      assert.deepEqual(await developer.list(`?source_id=${a}`), sorted(first));

      const third = wirePolicy(a, b, 61001, 61010);
      assert.equal((await developer.create([third])).status, 200);
      // At the limit, re-creating an existing policy is still fine: it adds nothing.
      assert.equal((await developer.create([...first, third])).status, 200);
      assert.equal((await developer.create([wirePolicy(a, a, 61443)])).status, 403);
      // The limit counts per source: the destination app can still have its own.
      assert.equal((await developer.create([wirePolicy(b, a, 61443)])).status, 200);
      assert.deepEqual(await developer.list(`?source_id=${a}`), sorted([...first, third]));
    });

    test('an admin is not held to the per-source limit, as in Cloud Foundry', async () => {
      const [a, b] = await freshApps(server, 'admin-limit', 2);
      assert.ok(a && b);
      const many = [61443, 61001, 61002, 61003, 61004].map((port) => wirePolicy(a, b, port));
      assert.equal((await client.create(many)).status, 200);
      assert.equal((await client.list(`?source_id=${a}`)).length, 5);
      // A developer may still delete, but not add, over the limit.
      assert.equal((await developer.create([wirePolicy(a, b, 61005)])).status, 403);
      assert.equal((await developer.remove([wirePolicy(a, b, 61004)])).status, 200);
      assert.equal((await client.list(`?source_id=${a}`)).length, 4);
    });

    test('a policy to an unproxied app port is refused with a clear error', async () => {
      const [a, b] = await freshApps(server, 'unproxied', 2);
      assert.ok(a && b);
      assertBadRequest(
        await client.create([wirePolicy(a, b, 8080)]),
        /policies\[0\]\.destination\.ports: unproxied port mappings are off/,
      );
      assertBadRequest(
        await client.create([wirePolicy(a, b, 61440, 61450)]),
        /unproxied port mappings are off/,
      );
      assert.deepEqual(await client.list(`?id=${a}`), []);
    });
  });
}
