// Thousands of random and mutated requests at the policy, app, space and org endpoints: every answer
// is a 2xx or a 4xx, never a 5xx, and the server still works afterwards.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { guidOf, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';
import { Fuzzer, type Json } from '../../helpers/fuzz.js';

const SEED = 0x77ef7;
const REQUESTS = 2500;
const PARALLEL = 8;
const POLICIES = '/networking/v1/external/policies';
const databases = testDatabases();
after(() => databases.stop());

interface Target {
  method: string;
  path: (f: Fuzzer) => string;
  valid: () => Json;
}

function targets(t: Tenancy): Target[] {
  const a1 = guidOf(t, 'a1');
  const guids = [a1, guidOf(t, 'a2'), guidOf(t, 'b1'), 'no-such-app', ''];
  const batch = () => ({
    policies: [wirePolicy(a1, guidOf(t, 'a2'), 8080), wirePolicy(guidOf(t, 'b1'), a1, 9000, 9100, 'udp')],
  });
  const app = () => ({
    name: 'fuzzed',
    spaceGuid: t.spaceA.guid,
    command: './run',
    instances: 2,
    memoryMb: 128,
    env: { GREETING: 'hi' },
    ports: [8080, 9090],
    state: 'STOPPED',
  });
  const patch = () => ({ instances: 1, env: { A: 'b' }, ports: [8080], state: 'STARTED', mtls: false });
  // Lone surrogates have no URL encoding; everything else goes into paths and queries as it comes.
  const inUrl = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'));
  const query = (f: Fuzzer) =>
    `?${f.pick(['id', 'source_id', 'dest_id', 'x'])}=${inUrl(`${f.pick(guids)},${f.string()}`)}`;
  return [
    { method: 'POST', path: () => POLICIES, valid: batch },
    { method: 'POST', path: () => `${POLICIES}/delete`, valid: batch },
    { method: 'GET', path: (f) => `${POLICIES}${query(f)}`, valid: () => null },
    { method: 'POST', path: () => '/v1/apps', valid: app },
    {
      method: 'PATCH',
      path: (f) => `/v1/apps/${inUrl(f.pick([a1, guidOf(t, 'b2'), f.string()]))}`,
      valid: patch,
    },
    { method: 'GET', path: (f) => `/v1/apps?name=${inUrl(f.string())}`, valid: () => null },
    // Random names only: a seeded GUID here would delete the tenancy the other targets write into.
    { method: 'DELETE', path: (f) => `/v1/spaces/${inUrl(f.string())}`, valid: () => null },
    { method: 'DELETE', path: (f) => `/v1/orgs/${inUrl(f.string())}`, valid: () => null },
  ];
}

function body(f: Fuzzer, target: Target): string | undefined {
  const valid = target.valid();
  if (valid === null) return undefined;
  switch (f.int(5)) {
    case 0:
      return JSON.stringify(f.value());
    case 1:
      return f.garble(JSON.stringify(valid));
    default:
      return JSON.stringify(f.mutate(valid));
  }
}

for (const kind of DATABASE_KINDS) {
  describe(`fuzzing the API on ${kind}`, () => {
    let server: TestServer;
    let t: Tenancy;

    before(async () => {
      server = await startServer({ database: await databases.fresh(kind, 'fuzz') });
      t = await seedTenancy(server);
    });
    after(() => server?.stop());

    test(`${REQUESTS} random and mutated requests get 2xx or 4xx answers, never 5xx`, async () => {
      const f = new Fuzzer(SEED);
      const all = targets(t);
      const requests = Array.from({ length: REQUESTS }, () => {
        const target = f.pick(all);
        return { method: target.method, path: target.path(f), body: body(f, target) };
      });
      const failures: string[] = [];
      let next = 0;
      const worker = async () => {
        for (let r = requests[next++]; r; r = requests[next++]) {
          const res = await server.fetch(`${server.url}${r.path}`, {
            method: r.method,
            headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
            body: r.body,
          });
          const text = await res.text();
          if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400)) {
            failures.push(
              `${res.status} ${r.method} ${r.path.slice(0, 120)} ${r.body?.slice(0, 200)} -> ${text}`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      assert.deepEqual(
        failures.slice(0, 10),
        [],
        `${failures.length} answers out of range; server log: ${server.log().slice(-2000)}`,
      );

      const policy = wirePolicy(guidOf(t, 'a3'), guidOf(t, 'b2'), 4444);
      assert.equal((await server.api('GET', '/healthz')).status, 200);
      assert.equal((await server.api('POST', POLICIES, { policies: [policy] })).status, 200);
      const listed = await server.api<{ policies: unknown[] }>(
        'GET',
        `${POLICIES}?source_id=${guidOf(t, 'a3')}`,
      );
      assert.deepEqual(listed.body.policies, [policy]);
    });
  });
}
