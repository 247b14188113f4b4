// What Cloud Foundry compatibility loosened stays safe: a policy an admin writes for a GUID of no app
// allows nothing and can never come to name an app, and a policy body of up to 10 MiB is bounded,
// parsed safely and read a few at a time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../../helpers/control-plane.js';
import { curl } from '../../helpers/curl.js';
import { wirePolicy } from '../../helpers/fixtures.js';
import { watch } from '../../helpers/watch.js';
import type { Snapshot } from '../../../src/model/types.js';
import { startPlatform, type Platform } from './platform.js';

const POLICIES = '/networking/v1/external/policies';

describe('Cloud Foundry compatibility, loosened safely', () => {
  let server: TestServer;
  let p: Platform;
  const guid = (name: string) => p.apps[name]?.guid ?? assert.fail(`no app ${name}`);
  const post = (body: string, token = server.adminToken) =>
    curl<{ error?: string }>(`${server.url}${POLICIES}`, {
      method: 'POST',
      token,
      data: body,
      cacert: server.caFile,
    });

  before(async () => ({ server, p } = await startPlatform()));
  after(() => server?.stop());

  test('a policy naming a GUID of no app reaches cells with no app of that GUID, and no app can take it', async () => {
    const ghost = randomUUID();
    const policy = wirePolicy(guid('a1'), ghost, 8080);
    assert.equal((await post(JSON.stringify({ policies: [policy] }))).status, 200);

    const stream = await watch(server, 0);
    try {
      const first = await stream.until((m) => m.type === 'snapshot', 'a snapshot');
      const snapshot = (first as { snapshot: Snapshot }).snapshot;
      assert.ok(snapshot.policies.some((q) => q.destAppGuid === ghost));
      assert.ok(!snapshot.apps.some((a) => a.guid === ghost), 'cells know no app of that GUID');
    } finally {
      stream.close();
    }
    // GUIDs are the platform's: no caller chooses one, so the policy can never come to allow anything.
    for (const token of [server.adminToken, p.devA]) {
      const app = { name: 'taker', spaceGuid: p.spaceA.guid, command: 'true', guid: ghost };
      assert.equal((await server.api('POST', '/v1/apps', app, token)).status, 400);
    }
    const app = await server.api<{ guid: string }>('POST', '/v1/apps', {
      name: 'taker',
      spaceGuid: p.spaceA.guid,
      command: 'true',
    });
    assert.equal(app.status, 201);
    assert.notEqual(app.body.guid, ghost);
  });

  test('a policy body is bounded: over 10 MiB, nested deep or naming __proto__, it is refused, and the API answers on', async () => {
    const over = `{"policies":[],"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    assert.match((await post(over)).body.error ?? '', /larger than the 10485760 bytes allowed/);
    const depth = 4 * 1024 * 1024;
    const deep = `{"policies":[${'['.repeat(depth)}${']'.repeat(depth)}]}`;
    const nested = await post(deep);
    assert.equal(nested.status, 400);
    assert.match(nested.body.error ?? '', /^mapper: unmarshal json; policies\[0\]: expected object/);
    const deepPoison = `{"policies":[${'['.repeat(depth)}{"__proto__":{}}${']'.repeat(depth)}]}`;
    assert.match((await post(deepPoison)).body.error ?? '', /^mapper: unmarshal json; body: malformed JSON/);
    const poisoned = `{"policies":[${JSON.stringify(wirePolicy(guid('a1'), guid('a2')))}],"__proto__":{"admin":true}}`;
    assert.equal((await post(poisoned)).status, 400);
    assert.equal((await post(poisoned, p.devA)).status, 400);
    const list = await curl(`${server.url}${POLICIES}?id=${guid('a2')}`, {
      token: server.adminToken,
      cacert: server.caFile,
    });
    assert.deepEqual(list.body, { total_policies: 0, policies: [] });
  });

  test('many large bodies sent at once are all read, a few at a time, and all answered', async () => {
    const bodies = Array.from({ length: 6 }, () => {
      const source = randomUUID();
      const policies = Array.from({ length: 8000 }, (_, i) => wirePolicy(source, guid('b1'), 1 + i));
      return JSON.stringify({ policies });
    });
    assert.ok(bodies.every((b) => b.length > 1024 * 1024));
    const answers = await Promise.all(bodies.map((b) => post(b)));
    assert.deepEqual(
      answers.map((a) => a.status),
      bodies.map(() => 200),
    );
  });
});
