// Mass assignment: a request may change only the fields its schema lists for that caller. Anything
// else in a body (tag, spaceGuid, guid, name on an update) is refused whole, not stored, not ignored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/control-plane.js';
import type { App } from '../../../src/model/types.js';
import { startPlatform, type OpenApiDocument, type Platform } from './platform.js';

describe('mass assignment', () => {
  let server: TestServer;
  let p: Platform;
  before(async () => ({ server, p } = await startPlatform()));
  after(() => server?.stop());

  test('an app update that names a field outside its schema is refused and changes nothing', async () => {
    const a1 = p.apps.a1 ?? assert.fail('no app a1');
    const sneaky: Record<string, unknown>[] = [
      { tag: 0 },
      { tag: 70000 },
      { tag: p.apps.b1?.tag },
      { spaceGuid: p.spaceB.guid },
      { guid: 'new-guid' },
      { name: 'renamed' },
      { command: 'sleep 1', spaceGuid: p.spaceB.guid },
    ];
    for (const body of sneaky) {
      const r = await server.api<{ error: string }>('PATCH', `/v1/apps/${a1.guid}`, body, p.devA);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, /not allowed|must NOT have additional properties/);
    }
    const now = await server.api<App>('GET', `/v1/apps/${a1.guid}`);
    assert.deepEqual(now.body, a1);
  });

  test('an app create that sets the platform’s own fields is refused', async () => {
    const base = { name: 'x1', spaceGuid: p.spaceA.guid, command: 'true' };
    for (const extra of [{ tag: 1 }, { guid: 'mine' }, { mtls: true }]) {
      const r = await server.api('POST', '/v1/apps', { ...base, ...extra }, p.devA);
      assert.equal(r.status, 400, JSON.stringify(extra));
    }
    const listed = await server.api<App[]>('GET', `/v1/apps?name=x1&space_guid=${p.spaceA.guid}`);
    assert.deepEqual(listed.body, []);
  });

  test('app creation still works for everyone after a developer tried to take tag 0', async () => {
    await server.api('PATCH', `/v1/apps/${p.apps.a2?.guid}`, { tag: 0 }, p.devA);
    const r = await server.api<App>('POST', '/v1/apps', {
      name: 'after',
      spaceGuid: p.spaceB.guid,
      command: 'true',
    });
    assert.equal(r.status, 201);
    assert.ok(r.body.tag >= 1 && r.body.tag <= 0xffff);
  });

  test('every request body the API documents is a closed object', async () => {
    const doc = (await server.api<OpenApiDocument>('GET', '/v1/openapi.json')).body;
    const open: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as Record<string, unknown>;
      if (s.type === 'object' && s.properties !== undefined && s.additionalProperties !== false) {
        open.push(where);
      }
      for (const [k, v] of Object.entries(s)) {
        if (typeof v === 'object') walk(v, `${where}.${k}`);
      }
    };
    let bodies = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const schema = op.requestBody?.content['application/json']?.schema;
        if (schema === undefined) continue;
        bodies++;
        walk(schema, `${method.toUpperCase()} ${path}`);
      }
    }
    assert.ok(bodies >= 8, `found only ${bodies} request bodies`);
    assert.deepEqual(open, []);
  });
});
