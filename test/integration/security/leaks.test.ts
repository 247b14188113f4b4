// What a caller may not see it cannot learn: reads are scoped like writes, a GUID outside the caller's
// spaces answers exactly as one that does not exist, cells never receive env on the stream, and the
// audit log keeps env names, never values.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../../helpers/control-plane.js';
import { created } from '../../helpers/fixtures.js';
import type { App } from '../../../src/model/types.js';
import { addressIn, startPlatform, type Platform } from './platform.js';

const SECRET = 'hunter2-do-not-leak';

/** Reads a change stream until `until` shows up in it or the wait runs out; returns what came. */
async function readStream(server: TestServer, token: string, until: RegExp): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5_000);
  let text = '';
  try {
    const res = await server.fetch(`${server.url}/v1/watch?since=0`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const decoder = new TextDecoder();
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (until.test(text)) break;
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return text;
}

describe('leaks', () => {
  let server: TestServer;
  let p: Platform;
  let secretApp: App;
  before(async () => {
    ({ server, p } = await startPlatform());
    secretApp = await created<App>(
      server.api(
        'POST',
        '/v1/apps',
        {
          name: 'vault',
          spaceGuid: p.spaceB.guid,
          command: 'true',
          env: { DB_PASSWORD: SECRET },
        },
        p.devB,
      ),
    );
  });
  after(() => server?.stop());

  test('a GUID in another space answers exactly as a GUID that does not exist', async () => {
    const theirs = p.apps.b1?.guid ?? '';
    const nobody = randomUUID();
    const calls: [string, (g: string) => string, unknown][] = [
      ['GET', (g) => `/v1/apps/${g}`, undefined],
      ['PATCH', (g) => `/v1/apps/${g}`, { instances: 2 }],
      ['DELETE', (g) => `/v1/apps/${g}`, undefined],
      ['POST', (g) => `/v1/apps/${g}/restart`, undefined],
      ['GET', (g) => `/v1/apps/${g}/instances`, undefined],
    ];
    for (const [method, path, body] of calls) {
      const a = await server.api<{ error: string }>(method, path(theirs), body, p.devA);
      const b = await server.api<{ error: string }>(method, path(nobody), body, p.devA);
      assert.equal(a.status, 404, `${method} ${path('GUID')}`);
      assert.equal(b.status, 404);
      assert.equal(a.body.error.replace(theirs, 'X'), b.body.error.replace(nobody, 'X'));
    }
    const inSpace = (spaceGuid: string) => ({ name: 'probe', spaceGuid, command: 'true' });
    const a = await server.api<{ error: string }>('POST', '/v1/apps', inSpace(p.spaceB.guid), p.devA);
    const b = await server.api<{ error: string }>('POST', '/v1/apps', inSpace(nobody), p.devA);
    assert.equal(a.status, b.status);
    assert.equal(a.body.error.replace(p.spaceB.guid, 'X'), b.body.error.replace(nobody, 'X'));

    const policy = (dest: string) => ({
      policies: [
        {
          source: { id: p.apps.a1?.guid },
          destination: { id: dest, protocol: 'tcp', ports: { start: 80, end: 80 } },
        },
      ],
    });
    const pa = await server.api<{ error: string }>(
      'POST',
      '/networking/v1/external/policies',
      policy(theirs),
      p.devA,
    );
    const pb = await server.api<{ error: string }>(
      'POST',
      '/networking/v1/external/policies',
      policy(nobody),
      p.devA,
    );
    assert.equal(pa.status, pb.status);
    assert.equal(pa.body.error.replace(theirs, 'X'), pb.body.error.replace(nobody, 'X'));
  });

  test('developers read neither the cells, the metrics, the tokens nor the audit log', async () => {
    for (const path of ['/v1/cells', '/metrics', '/v1/tokens', '/v1/events']) {
      const r = await server.api('GET', path, undefined, p.devA);
      assert.equal(r.status, 403, path);
    }
  });

  test('the change stream carries no env, neither in the snapshot nor in changes', async () => {
    const snapshot = await readStream(server, p.c1.token, /"snapshot-end"|"type":"snapshot"/);
    assert.match(snapshot, /vault/);
    assert.doesNotMatch(snapshot, new RegExp(SECRET));
    assert.doesNotMatch(snapshot, /"env"/);
    const streaming = readStream(server, p.c1.token, /"kind":"app"/);
    await new Promise((r) => setTimeout(r, 300));
    const patch = await server.api('PATCH', `/v1/apps/${secretApp.guid}`, {
      env: { DB_PASSWORD: `${SECRET}-2`, NEW_NAME: 'x' },
    });
    assert.equal(patch.status, 200);
    const changes = await streaming;
    assert.doesNotMatch(changes, new RegExp(SECRET));
    assert.doesNotMatch(changes, /"env"/);
  });

  test('the audit log names env variables but never holds their values', async () => {
    await server.api('PATCH', `/v1/apps/${secretApp.guid}`, { env: { DB_PASSWORD: `${SECRET}-3` } }, p.devB);
    const events = await server.api('GET', '/v1/events?limit=1000');
    const text = JSON.stringify(events.body);
    assert.doesNotMatch(text, new RegExp(SECRET));
    assert.match(text, /DB_PASSWORD/);
  });

  test('cell reports are audited', async () => {
    const mine = await p.instanceOf('a2');
    const r = await server.api(
      'PUT',
      `/v1/cells/c1/instances/${mine.guid}`,
      {
        state: 'RUNNING',
        ip: addressIn(p.c1.subnet, 20),
      },
      p.c1.token,
    );
    assert.equal(r.status, 200);
    const events = await server.api<{ action: string; actor: string }[]>(
      'GET',
      `/v1/events?target=instance:${mine.guid}`,
    );
    assert.ok(
      events.body.some((e) => e.action === 'instance.report' && e.actor === 'cell:cell-c1'),
      JSON.stringify(events.body),
    );
  });
});
