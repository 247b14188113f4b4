// A cell token speaks for its one cell: it follows the change stream, reports on the instances placed
// on it with addresses of its own lease, and gets certificates and env for those instances. Nothing
// else: no tenant's apps, policies or env, and no other cell. It also reports its kernel's denied flows
// and answers the questions put to it (weft explain), both for itself only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/control-plane.js';
import { generateKeyAndCsr } from '../../../src/ca/index.js';
import type { App, Cell, Instance } from '../../../src/model/types.js';
import { addressIn, startPlatform, type OpenApiDocument, type Platform } from './platform.js';

/** What a cell token may call; {own} is its cell, {mine} an instance placed on it. */
const CELL_MAY = new Set([
  'GET /v1/info',
  'GET /v1/ca',
  'GET /v1/watch',
  'PUT /v1/cells/{own}',
  'PUT /v1/cells/{own}/presence',
  'PUT /v1/cells/{own}/instances/{mine}',
  'POST /v1/cells/{own}/instances/{mine}/certificates',
  'GET /v1/cells/{own}/instances/{mine}/env',
  'POST /v1/cells/{own}/flows',
  'POST /v1/cells/{own}/answers/{guid}',
  'GET /v1/cells/{own}/packages/{digest}',
  'GET /v1/cells/{own}/sessions/{sid}',
  'POST /v1/cells/{own}/external-instances',
  'DELETE /v1/cells/{own}/external-instances/{guid}',
]);

describe('cell tokens', () => {
  let server: TestServer;
  let p: Platform;
  before(async () => ({ server, p } = await startPlatform()));
  after(() => server?.stop());

  test('a cell token is refused on every endpoint outside its list', async () => {
    const doc = (await server.api<OpenApiDocument>('GET', '/v1/openapi.json')).body;
    const mine = await p.instanceOf('a1');
    const fill = (path: string) =>
      path
        .replace('{id}', 'c1')
        .replace(/\{(guid|appGuid)\}/g, p.apps.b1?.guid ?? '')
        .replace('{name}', 'admin');
    const allowed: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const shape = `${method.toUpperCase()} ${path.replace('{id}', '{own}').replace('/instances/{guid}', '/instances/{mine}')}`;
        if (CELL_MAY.has(shape)) continue;
        if (path === '/healthz') continue;
        const url = fill(path).replace(`/instances/${p.apps.b1?.guid}`, `/instances/${mine.guid}`);
        const verb = method.toUpperCase();
        const r = await server.api(
          verb,
          url,
          verb === 'GET' || verb === 'DELETE' ? undefined : {},
          p.c1.token,
        );
        if (r.status !== 403 && r.status !== 404) allowed.push(`${method.toUpperCase()} ${url}: ${r.status}`);
      }
    }
    const extra = ['/metrics', '/v1/cells', '/v1/events', '/v1/tokens'];
    for (const path of extra) {
      const r = await server.api('GET', path, undefined, p.c1.token);
      if (r.status !== 403 && r.status !== 404) allowed.push(`GET ${path}: ${r.status}`);
    }
    assert.deepEqual(allowed, []);
  });

  test('a cell token cannot change another tenant’s app, policies or read env', async () => {
    const b1 = p.apps.b1;
    assert.ok(b1);
    const patch = await server.api('PATCH', `/v1/apps/${b1.guid}`, { command: 'evil' }, p.c1.token);
    assert.equal(patch.status, 403);
    const read = await server.api('GET', `/v1/apps/${b1.guid}`, undefined, p.c1.token);
    assert.equal(read.status, 403);
    const policy = {
      policies: [
        {
          source: { id: p.apps.a1?.guid },
          destination: { id: b1.guid, protocol: 'tcp', ports: { start: 1, end: 65535 } },
        },
      ],
    };
    assert.equal(
      (await server.api('POST', '/networking/v1/external/policies', policy, p.c1.token)).status,
      403,
    );
    const after = await server.api<App>('GET', `/v1/apps/${b1.guid}`);
    assert.equal(after.body.command, b1.command);
  });

  test('a cell token cannot register, move or report for another cell', async () => {
    const move = await server.api('PUT', '/v1/cells/c2', { hostIp: '203.0.113.9' }, p.c1.token);
    assert.equal(move.status, 403);
    const cells = await server.api<Cell[]>('GET', '/v1/cells');
    assert.equal(cells.body.find((c) => c.id === 'c2')?.hostIp, '192.0.2.2');
    const fresh = await server.api('PUT', '/v1/cells/c9', { hostIp: '192.0.2.9' }, p.c1.token);
    assert.equal(fresh.status, 403);

    const theirs = await p.instanceOf('b3');
    const report = { state: 'RUNNING', ip: addressIn(p.c2.subnet, 5) };
    const viaTheirs = await server.api('PUT', `/v1/cells/c2/instances/${theirs.guid}`, report, p.c1.token);
    assert.equal(viaTheirs.status, 403);
    const viaMine = await server.api('PUT', `/v1/cells/c1/instances/${theirs.guid}`, report, p.c1.token);
    assert.equal(viaMine.status, 404);

    // Nor speak for it in the flow log, in its answers, or follow the stream as it.
    const flows = { flows: [] };
    assert.equal((await server.api('POST', '/v1/cells/c2/flows', flows, p.c1.token)).status, 403);
    const answer = { flows: [], certificates: [] };
    const answerAs = await server.api('POST', `/v1/cells/c2/answers/${theirs.guid}`, answer, p.c1.token);
    assert.equal(answerAs.status, 403);
    // A question nobody asked has no answer to take, even from the right cell.
    assert.equal(
      (await server.api('POST', `/v1/cells/c1/answers/${theirs.guid}`, answer, p.c1.token)).status,
      404,
    );
    assert.equal((await server.api('GET', '/v1/watch?cell=c2', undefined, p.c1.token)).status, 403);
  });

  test('a cell joins outside containers to apps on its own cell only, and removes only those it joined', async () => {
    const a1 = p.apps.a1;
    assert.ok(a1);
    const body = { appGuid: a1.guid };
    assert.equal((await server.api('POST', '/v1/cells/c2/external-instances', body, p.c1.token)).status, 403);
    const ghost = { appGuid: '11111111-2222-4333-8444-555555555555' };
    assert.equal(
      (await server.api('POST', '/v1/cells/c1/external-instances', ghost, p.c1.token)).status,
      404,
    );
    const joined = await server.api<Instance>('POST', '/v1/cells/c1/external-instances', body, p.c1.token);
    assert.equal(joined.status, 201);
    assert.equal(joined.body.external, true);
    assert.ok(joined.body.index >= 10_000, 'never an index placement may use');
    const second = await server.api<Instance>('POST', '/v1/cells/c1/external-instances', body, p.c1.token);
    assert.equal(second.body.index, joined.body.index + 1);

    const placed = await p.instanceOf('a1');
    const leavePlaced = await server.api(
      'DELETE',
      `/v1/cells/c1/external-instances/${placed.guid}`,
      undefined,
      p.c1.token,
    );
    assert.equal(leavePlaced.status, 400, 'a platform-placed instance cannot be removed this way');
    const url = `/v1/cells/c1/external-instances/${joined.body.guid}`;
    assert.equal((await server.api('DELETE', url, undefined, p.c2.token)).status, 403);
    assert.equal((await server.api('DELETE', url, undefined, p.c1.token)).status, 204);
    assert.equal((await server.api('DELETE', url, undefined, p.c1.token)).status, 404);
    const left = `/v1/cells/c1/external-instances/${second.body.guid}`;
    assert.equal((await server.api('DELETE', left, undefined, p.c1.token)).status, 204);
  });

  test('a cell reports only addresses of its own lease', async () => {
    const mine = await p.instanceOf('a1');
    const bad = [
      '8.8.8.8',
      addressIn(p.c2.subnet, 7),
      addressIn(p.c1.subnet, 0),
      addressIn(p.c1.subnet, 1),
      addressIn(p.c1.subnet, 255),
    ];
    for (const ip of bad) {
      const r = await server.api(
        'PUT',
        `/v1/cells/c1/instances/${mine.guid}`,
        { state: 'RUNNING', ip },
        p.c1.token,
      );
      assert.equal(r.status, 400, ip);
    }
    const good = addressIn(p.c1.subnet, 7);
    const r = await server.api(
      'PUT',
      `/v1/cells/c1/instances/${mine.guid}`,
      { state: 'RUNNING', ip: good },
      p.c1.token,
    );
    assert.equal(r.status, 200);
    assert.equal((await p.instanceOf('a1')).ip, good);
  });

  test('a cell reports a stack only as a name and version, and nothing beyond the report fields', async () => {
    const mine = await p.instanceOf('a1');
    const ip = addressIn(p.c1.subnet, 7);
    const url = `/v1/cells/c1/instances/${mine.guid}`;
    for (const stack of ['', 'weftlinux', 'a b c', '<script> 1', `x ${'9'.repeat(200)}`, 'x 1\n']) {
      const r = await server.api('PUT', url, { state: 'RUNNING', ip, stack }, p.c1.token);
      assert.equal(r.status, 400, JSON.stringify(stack));
    }
    const extra = { state: 'RUNNING', ip, stack: 'weftlinux-bookworm 1', cellId: 'c2' };
    assert.equal((await server.api('PUT', url, extra, p.c1.token)).status, 400);
    const stack = 'weftlinux-bookworm 2026.11.27-dbed97a4';
    assert.equal((await server.api('PUT', url, { state: 'RUNNING', ip, stack }, p.c1.token)).status, 200);
    assert.equal((await p.instanceOf('a1')).stack, stack);
    // A report without one keeps what the cell said before.
    assert.equal((await server.api('PUT', url, { state: 'RUNNING', ip }, p.c1.token)).status, 200);
    assert.equal((await p.instanceOf('a1')).stack, stack);
  });

  test('a cell gets certificates and env only for instances placed on it', async () => {
    const { csrPem } = generateKeyAndCsr('instance');
    const mine = await p.instanceOf('a1');
    const theirs = await p.instanceOf('b3');
    const ask = (cell: string, guid: string, token: string) =>
      server.api(
        'POST',
        `/v1/cells/${cell}/instances/${guid}/certificates`,
        {
          kind: 'identity',
          csr: csrPem,
          ip: addressIn(cell === 'c1' ? p.c1.subnet : p.c2.subnet, 9),
        },
        token,
      );
    assert.equal((await ask('c1', mine.guid, p.c1.token)).status, 200);
    assert.equal((await ask('c2', theirs.guid, p.c1.token)).status, 403);
    assert.equal((await ask('c1', theirs.guid, p.c1.token)).status, 404);

    const env = await server.api<{ env: Record<string, string> }>(
      'GET',
      `/v1/cells/c1/instances/${mine.guid}/env`,
      undefined,
      p.c1.token,
    );
    assert.equal(env.status, 200);
    assert.deepEqual(env.body.env, p.apps.a1?.env);
    assert.equal(
      (await server.api('GET', `/v1/cells/c1/instances/${theirs.guid}/env`, undefined, p.c1.token)).status,
      404,
    );
    assert.equal(
      (await server.api('GET', `/v1/cells/c2/instances/${theirs.guid}/env`, undefined, p.c1.token)).status,
      403,
    );
  });

  test('moving its own host address is allowed and audited', async () => {
    const r = await server.api<Cell>('PUT', '/v1/cells/c1', { hostIp: '192.0.2.11' }, p.c1.token);
    assert.equal(r.status, 200);
    const events = await server.api<{ action: string; target: string }[]>('GET', '/v1/events?target=cell:c1');
    assert.ok(
      events.body.some((e) => e.action === 'cell.move'),
      JSON.stringify(events.body),
    );
  });
});
