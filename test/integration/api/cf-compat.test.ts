// Cloud Foundry's policy API as its scripts use it, with curl: CF's JSON, status codes, words and headers,
// v1 and v0, each case checked against cloudfoundry/cf-networking-release (docs/compatibility.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { curl } from '../../helpers/curl.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { created, guidOf, seedTenancy, wirePolicy, type Tenancy } from '../../helpers/fixtures.js';

const V1 = '/networking/v1/external';
const V0 = '/networking/v0/external';
const databases = testDatabases();
after(() => databases.stop());

type WirePolicy = ReturnType<typeof wirePolicy>;
interface PolicyList {
  total_policies: number;
  policies: WirePolicy[];
}
interface Refusal {
  error: string;
}

const byKey = (p: unknown) => JSON.stringify(p);
const sorted = <T>(ps: T[]) => [...ps].sort((a, b) => byKey(a).localeCompare(byKey(b)));

/** A script's curl against the policy API: `data` is a body to POST (a string as it is), null none. */
function cfApi(server: TestServer, token: string | null = server.adminToken) {
  return async <T = unknown>(path: string, data?: unknown) =>
    curl<T>(`${server.url}${path}`, {
      method: data === undefined ? 'GET' : 'POST',
      token: token ?? undefined,
      data:
        data === undefined || data === null
          ? undefined
          : typeof data === 'string'
            ? data
            : JSON.stringify(data),
      cacert: server.caFile,
    });
}

/** The raw answer, headers and text, for what curl's JSON reading hides. */
async function raw(server: TestServer, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await server.fetch(`${server.url}${path}`, { method, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function refusedWith(reply: { status: number; body: unknown }, status: number, words: RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.match((reply.body as Refusal).error, words);
}

for (const kind of DATABASE_KINDS) {
  describe(`Cloud Foundry's policy rules on ${kind}`, () => {
    let server: TestServer;
    let t: Tenancy;
    let admin: ReturnType<typeof cfApi>;
    let developer: ReturnType<typeof cfApi>;
    const guid = (name: string) => guidOf(t, name);

    before(async () => {
      server = await startServer({ database: await databases.fresh(kind, 'cf') });
      t = await seedTenancy(server);
      admin = cfApi(server);
      developer = cfApi(server, t.developerToken);
    });
    after(() => server?.stop());

    test('an admin may write policies naming GUIDs of no app; a developer may not; the cleanup removes them', async () => {
      const ghost = randomUUID();
      const known = wirePolicy(guid('a1'), guid('a2'), 9000);
      const stale = [wirePolicy(guid('a1'), ghost, 9001), wirePolicy(ghost, guid('a2'), 9002)];
      assert.equal((await admin(`${V1}/policies`, { policies: [known, ...stale] })).status, 200);
      const listed = await admin<PolicyList>(`${V1}/policies?id=${ghost}`);
      assert.deepEqual(sorted(listed.body.policies), sorted(stale));

      const seen = await developer<PolicyList>(`${V1}/policies`);
      assert.ok(
        !byKey(seen.body).includes(ghost),
        'a developer sees no policy naming an app of no space of theirs',
      );
      const mixed = {
        policies: [wirePolicy(guid('a1'), guid('a2'), 9003), wirePolicy(guid('a1'), ghost, 9004)],
      };
      refusedWith(
        await developer(`${V1}/policies`, mixed),
        403,
        /^one or more applications cannot be found or accessed/,
      );
      assert.equal(
        (await admin<PolicyList>(`${V1}/policies?source_id=${guid('a1')}`)).body.total_policies,
        2,
      );

      const tags = await admin<{ tags: { id: string }[] }>(`${V1}/tags`);
      assert.ok(!tags.body.tags.some((tag) => tag.id === ghost), 'a GUID of no app has no tag');

      refusedWith(
        await developer(`${V1}/policies/cleanup`, ''),
        403,
        /do not include allowed scopes \[network\.admin\]/,
      );
      const cleaned = await admin<PolicyList>(`${V1}/policies/cleanup`, null);
      assert.equal(cleaned.status, 200);
      assert.deepEqual(sorted(cleaned.body.policies), sorted(stale));
      assert.equal(cleaned.body.total_policies, 2);
      assert.equal((await admin<PolicyList>(`${V1}/policies?id=${ghost}`)).body.total_policies, 0);
      assert.deepEqual((await admin<PolicyList>(`${V1}/policies?source_id=${guid('a1')}`)).body.policies, [
        known,
      ]);
      assert.equal((await admin<PolicyList>(`${V0}/policies/cleanup`, '')).body.total_policies, 0);
    });

    test('deleting an app deletes its policies, whichever end it is', async () => {
      const doomed = await created<{ guid: string }>(
        server.api('POST', '/v1/apps', {
          name: 'doomed',
          spaceGuid: t.spaceA.guid,
          command: 'true',
        }),
      );
      const policies = [wirePolicy(doomed.guid, guid('a3')), wirePolicy(guid('a3'), doomed.guid)];
      assert.equal((await developer(`${V1}/policies`, { policies })).status, 200);
      assert.equal((await server.api('DELETE', `/v1/apps/${doomed.guid}`)).status, 204);
      assert.equal((await admin<PolicyList>(`${V1}/policies?id=${doomed.guid}`)).body.total_policies, 0);
    });

    test('a listing of more than 10,000 policies, over 1 MiB, is posted back as it came', async () => {
      await created(server.api('PUT', `/v1/spaces/${t.spaceB.guid}/quota`, { policies: 20_000 }));
      const [b1, b2] = [guid('b1'), guid('b2')];
      const many = Array.from({ length: 12_000 }, (_, i) => wirePolicy(b1, b2, 10_000 + i));
      assert.equal((await admin(`${V1}/policies`, { policies: many })).status, 200);
      const dump = await admin<PolicyList>(`${V1}/policies?source_id=${b1}`);
      const text = JSON.stringify(dump.body);
      assert.equal(dump.body.total_policies, 12_000);
      assert.ok(text.length > 1024 * 1024, `the dump is ${text.length} bytes`);

      assert.equal((await admin(`${V1}/policies/delete`, text)).status, 200);
      assert.equal((await admin<PolicyList>(`${V1}/policies?source_id=${b1}`)).body.total_policies, 0);
      assert.equal((await admin(`${V1}/policies`, text)).status, 200);
      assert.deepEqual((await admin<PolicyList>(`${V1}/policies?source_id=${b1}`)).body, dump.body);
    });
  });
}

describe("Cloud Foundry's answers", () => {
  let server: TestServer;
  let t: Tenancy;
  let admin: ReturnType<typeof cfApi>;
  let developer: ReturnType<typeof cfApi>;
  const guid = (name: string) => guidOf(t, name);

  before(async () => {
    server = await startServer();
    t = await seedTenancy(server);
    admin = cfApi(server);
    developer = cfApi(server, t.developerToken);
  });
  after(() => server?.stop());

  test('v0 speaks one port: written, listed without ranged policies, deleted', async () => {
    const [a1, a2] = [guid('a1'), guid('a2')];
    const v0 = { source: { id: a1 }, destination: { id: a2, protocol: 'udp', port: 5353 } };
    assert.equal((await admin(`${V0}/policies`, { policies: [v0] })).status, 200);
    assert.equal(
      (await developer(`${V1}/policies`, { policies: [wirePolicy(a1, a2, 6000, 6010)] })).status,
      200,
    );
    assert.deepEqual(
      sorted((await admin<PolicyList>(`${V1}/policies?id=${a1}`)).body.policies),
      sorted([wirePolicy(a1, a2, 5353, 5353, 'udp'), wirePolicy(a1, a2, 6000, 6010)]),
    );
    assert.deepEqual((await developer(`${V0}/policies?id=${a1}`)).body, {
      total_policies: 1,
      policies: [v0],
    });

    refusedWith(
      await admin(`${V0}/policies`, { policies: [wirePolicy(a1, a2)] }),
      400,
      /^mapper: validate policies: missing port; policies\[0\]\.destination\.port: is required/,
    );
    assert.equal((await developer(`${V0}/policies/delete`, { policies: [v0] })).status, 200);
    assert.deepEqual((await admin<PolicyList>(`${V1}/policies?id=${a1}`)).body.policies, [
      wirePolicy(a1, a2, 6000, 6010),
    ]);
    assert.deepEqual((await admin(`${V0}/tags`)).body, (await admin(`${V1}/tags`)).body);
  });

  test('id, when given, is the only filter of a listing; source_id and dest_id otherwise both apply', async () => {
    const [a1, a2, a3] = [guid('a1'), guid('a2'), guid('a3')];
    const policies = [wirePolicy(a1, a3, 7000), wirePolicy(a3, a2, 7001)];
    assert.equal((await admin(`${V1}/policies`, { policies })).status, 200);
    const listed = await admin<PolicyList>(`${V1}/policies?id=${a3}&source_id=${a1}&dest_id=${a1}`);
    assert.deepEqual(sorted(listed.body.policies), sorted(policies));
    const both = await admin<PolicyList>(`${V1}/policies?source_id=${a3}&dest_id=${a2}`);
    assert.deepEqual(both.body.policies, [policies[1]]);
    assert.equal((await admin(`${V1}/policies/delete`, { policies })).status, 200);
  });

  test('tags are for admins, name only apps in a policy, and read as upper-case hex', async () => {
    const inPolicy = new Set([guid('a1'), guid('a2')]);
    const tags = await admin<{ tags: { id: string; tag: string; type: string }[] }>(`${V1}/tags`);
    assert.equal(tags.status, 200);
    assert.deepEqual(new Set(tags.body.tags.map((tag) => tag.id)), inPolicy);
    for (const tag of tags.body.tags) {
      const app = Object.values(t.apps).find((a) => a.guid === tag.id);
      assert.equal(tag.tag, app?.tag.toString(16).toUpperCase().padStart(4, '0'));
      assert.match(tag.tag, /^[0-9A-F]{4}$/);
      assert.equal(tag.type, 'app');
    }
    refusedWith(
      await developer(`${V1}/tags`),
      403,
      /^provided scopes \[network\.write\] do not include allowed scopes \[network\.admin\]; /,
    );
  });

  test('whoami names the token for admins', async () => {
    assert.deepEqual((await admin(`${V1}/whoami`)).body, { subject: 'admin' });
    assert.deepEqual((await admin(`${V0}/whoami`)).body, { subject: 'admin' });
    assert.equal((await developer(`${V1}/whoami`)).status, 403);
  });

  test('a 401 names the Bearer scheme and begins with Cloud Foundry’s words', async () => {
    const none = await raw(server, 'GET', `${V1}/policies`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.match(none.text, /"error":"missing authorization header; /);
    const wrong = await raw(server, 'POST', `${V1}/policies`, { authorization: 'Bearer weft_nope' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /"error":"failed to verify token with uaa; /);
    assert.equal((await raw(server, 'GET', '/v1/apps')).headers.get('www-authenticate'), 'Bearer');
  });

  test('an unknown version is a 406, a wrong method a 405, and a preflight a 200, before any token', async () => {
    const version = await raw(server, 'GET', '/networking/v2/external/policies');
    assert.equal(version.status, 406);
    assert.match(version.text, /"error":"api version 'v2' not supported; /);
    const method = await raw(server, 'PUT', `${V1}/policies`);
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'GET, POST');
    assert.equal((await raw(server, 'GET', `${V1}/policies/delete`)).status, 405);

    const preflight = await raw(server, 'OPTIONS', `${V1}/policies`, { origin: 'https://elsewhere.example' });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'GET,POST,OPTIONS');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'authorization');
    assert.equal(preflight.headers.get('access-control-allow-origin'), null, 'no origin is allowed');
  });

  test('every answer carries nosniff and refuses framing, as Cloud Foundry’s do', async () => {
    for (const answer of [
      await raw(server, 'GET', `${V1}/policies`, { authorization: `Bearer ${server.adminToken}` }),
      await raw(server, 'GET', `${V1}/policies`),
      await raw(server, 'GET', '/v1/info', { authorization: `Bearer ${server.adminToken}` }),
    ]) {
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(answer.headers.get('x-frame-options'), 'deny');
      assert.equal(answer.headers.get('content-security-policy'), "frame-ancestors 'none'");
      assert.match(answer.headers.get('strict-transport-security') ?? '', /^max-age=\d+/);
    }
  });

  test('ports are JSON integers: strings, fractions and exponents are refused, as Go decodes them', async () => {
    const [a1, a2] = [guid('a1'), guid('a3')];
    const body = (start: string) =>
      `{"policies":[{"source":{"id":"${a1}"},"destination":{"id":"${a2}","protocol":"tcp","ports":{"start":${start},"end":8080}}}]}`;
    refusedWith(
      await admin(`${V1}/policies`, body('"8080"')),
      400,
      /^mapper: unmarshal json; .*ports\.start: expected integer/,
    );
    refusedWith(
      await admin(`${V1}/policies`, body('8080.0')),
      400,
      /^mapper: unmarshal json; body: 8080\.0 is not an integer/,
    );
    refusedWith(await admin(`${V1}/policies`, body('8.08e3')), 400, /^mapper: unmarshal json; body: 8\.08e3/);
    assert.equal((await admin<PolicyList>(`${V1}/policies?id=${a2}`)).body.total_policies, 0);
    assert.equal((await admin(`${V1}/policies`, body('8080'))).status, 200);
  });

  test('each refusal of a body begins with Cloud Foundry’s words', async () => {
    const [a1, a2] = [guid('a1'), guid('a2')];
    const cases: [unknown, number, RegExp][] = [
      ['{"policies": [', 400, /^mapper: unmarshal json; body: malformed JSON/],
      ['', 400, /^mapper: unmarshal json; body: malformed JSON/],
      [{}, 400, /^mapper: validate policies: missing policies; /],
      [{ policies: [] }, 400, /^mapper: validate policies: missing policies; /],
      [
        { policies: [{ source: {}, destination: { id: a2, protocol: 'tcp', ports: { start: 1, end: 1 } } }] },
        400,
        /^mapper: validate policies: missing source id; /,
      ],
      [
        { policies: [wirePolicy(a1, a2, 1, 1, 'icmp')] },
        400,
        /^mapper: validate policies: invalid destination protocol, specify either udp or tcp; /,
      ],
      [
        { policies: [wirePolicy(a1, a2, 9000, 8000)] },
        400,
        /^mapper: validate policies: invalid port range 9000-8000, start must be less than or equal to end; policies\[0\]\.destination\.ports: /,
      ],
      [{ policies: [wirePolicy(a1, a2, 0, 8000)] }, 400, /^mapper: validate policies: missing start port; /],
      [
        { policies: [wirePolicy(a1, a2, 80, 65536)] },
        400,
        /^mapper: validate policies: invalid end port 65536, must be in range 1-65535; /,
      ],
      [
        { policies: [{ source: { id: a1, tag: '0001' }, destination: wirePolicy(a1, a2).destination }] },
        400,
        /^mapper: validate policies: tags may not be specified; policies\[0\]\.source\.tag/,
      ],
    ];
    for (const [body, status, words] of cases) {
      refusedWith(await admin(`${V1}/policies`, body), status, words);
      refusedWith(await admin(`${V1}/policies/delete`, body), status, words);
    }
    const tooLarge = `{"policies":[],"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    refusedWith(
      await admin(`${V1}/policies`, tooLarge),
      400,
      /^failed reading request body; body: larger than the 10485760 bytes/,
    );
    refusedWith(
      await admin(`${V1}/policies/delete`, tooLarge),
      400,
      /^invalid request body; body: larger than/,
    );
  });

  test('the uptime and health answers need no token', async () => {
    for (const path of ['/', '/networking']) {
      const uptime = await raw(server, 'GET', path);
      assert.equal(uptime.status, 200);
      assert.match(uptime.text, /^Network policy server, up for (\d+h)?(\d+m)?[\d.]+s\n$/);
    }
    const health = await raw(server, 'GET', '/health');
    assert.equal(health.status, 200);
    assert.equal(health.text, '');
  });
});
