// What `weft explain` and `weft flows` tell a developer stays inside their spaces: another space's app is
// answered as one that does not exist, a name dialled into another space resolves to "an app of another
// space", and a flow between two foreign apps is not shown; where one end is foreign, that end keeps its
// address and loses its names.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestServer } from '../../helpers/control-plane.js';
import type { Domain, Instance, Route } from '../../../src/model/types.js';
import type { Explanation } from '../../../src/contract/explain.js';
import type { FlowPage } from '../../../src/contract/flows.js';
import { addressIn, startPlatform, type Platform } from './platform.js';

describe('explain and flows stay inside the caller’s spaces', () => {
  let server: TestServer;
  let p: Platform;
  const ips: Record<string, string> = {};
  const guid = (name: string): string => p.apps[name]?.guid ?? assert.fail(`no app ${name}`);

  before(async () => {
    ({ server, p } = await startPlatform());
    // a1, a2, b1 and b2 all run on c1, which reports their addresses.
    for (const [n, name] of ['a1', 'a2', 'b1', 'b2'].entries()) {
      const i: Instance = await p.instanceOf(name);
      const ip = addressIn(p.c1.subnet, 10 + n);
      const report = { state: 'RUNNING', ip };
      const r = await server.api('PUT', `/v1/cells/${p.c1.id}/instances/${i.guid}`, report, p.c1.token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      ips[name] = ip;
    }
    const domains = await server.api<Domain[]>('GET', '/v1/domains', undefined, p.devB);
    const internal = domains.body.find((d) => d.name === 'apps.internal');
    assert.ok(internal);
    const route = await server.api<Route>(
      'POST',
      '/v1/routes',
      { host: 'ledger-secret', domainGuid: internal.guid, spaceGuid: p.spaceB.guid },
      p.devB,
    );
    assert.equal(route.status, 201);
    const mapped = await server.api(
      'PUT',
      `/v1/routes/${route.body.guid}/apps/${guid('b1')}`,
      undefined,
      p.devB,
    );
    assert.equal(mapped.status, 200);
    const flow = (src: string, dst: string) => ({
      time: new Date().toISOString(),
      protocol: 'tcp',
      srcIp: ips[src],
      srcPort: 40000,
      dstIp: ips[dst],
      dstPort: 8080,
    });
    const report = { flows: [flow('a1', 'a2'), flow('a1', 'b1'), flow('b1', 'b2')] };
    const receipt = await server.api<{ kept: number }>(
      'POST',
      `/v1/cells/${p.c1.id}/flows`,
      report,
      p.c1.token,
    );
    assert.equal(receipt.status, 200);
    assert.equal(receipt.body.kept, 3);
  });
  after(() => server?.stop());

  test('explain answers for another space’s app exactly as for one that does not exist', async () => {
    const ask = (source: string, destination: string) =>
      server.api<{ error: string }>(
        'GET',
        `/v1/explain?source=${source}&destination=${destination}`,
        undefined,
        p.devA,
      );
    const nobody = randomUUID();
    for (const [theirs, none] of [
      [ask(guid('a1'), guid('b1')), ask(guid('a1'), nobody)],
      [ask(guid('b1'), guid('a1')), ask(nobody, guid('a1'))],
    ] as const) {
      const [a, b] = await Promise.all([theirs, none]);
      assert.equal(a.status, 404);
      assert.equal(b.status, 404);
      assert.equal(a.body.error.replace(guid('b1'), 'X'), b.body.error.replace(nobody, 'X'));
    }
  });

  test('a name dialled into another space resolves without naming the app behind it', async () => {
    const res = await server.api<Explanation>(
      'GET',
      `/v1/explain?source=${guid('a1')}&destination=${guid('a2')}&hostname=ledger-secret.apps.internal`,
      undefined,
      p.devA,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const text = JSON.stringify(res.body);
    assert.match(text, /an app of another space/);
    assert.doesNotMatch(text, /b1|space-b/);
    assert.ok(!text.includes(guid('b1')));
  });

  test('flows between two apps of another space are not shown', async () => {
    const res = await server.api<FlowPage>('GET', '/v1/flows?limit=1000', undefined, p.devA);
    assert.equal(res.status, 200);
    const pairs = res.body.flows.map((f) => `${f.src.ip}->${f.dst.ip}`);
    assert.ok(pairs.includes(`${ips.a1}->${ips.a2}`));
    assert.ok(!pairs.includes(`${ips.b1}->${ips.b2}`));
  });

  test('the foreign end of a flow keeps its address and loses its names', async () => {
    const res = await server.api<FlowPage>('GET', '/v1/flows?limit=1000', undefined, p.devA);
    const cross = res.body.flows.find((f) => f.src.ip === ips.a1 && f.dst.ip === ips.b1);
    assert.ok(cross, 'the flow from a1 to b1 is shown to space A');
    assert.equal(cross.src.appName, 'a1');
    const { ip, port, ...names } = cross.dst;
    assert.deepEqual({ ip, port }, { ip: ips.b1, port: 8080 });
    assert.ok(
      Object.values(names).every((v) => v === null),
      JSON.stringify(names),
    );
    const theirs = await server.api<FlowPage>('GET', '/v1/flows?limit=1000', undefined, p.devB);
    const same = theirs.body.flows.find((f) => f.src.ip === ips.a1 && f.dst.ip === ips.b1);
    assert.equal(same?.dst.appName, 'b1');
    assert.equal(same?.src.appName, null);
  });

  test('filtering flows by another space’s app answers as for an app that does not exist', async () => {
    const theirs = await server.api<{ error: string }>(
      'GET',
      `/v1/flows?app=${guid('b1')}`,
      undefined,
      p.devA,
    );
    const nobody = randomUUID();
    const none = await server.api<{ error: string }>('GET', `/v1/flows?app=${nobody}`, undefined, p.devA);
    assert.equal(theirs.status, 404);
    assert.equal(none.status, 404);
    assert.equal(theirs.body.error.replace(guid('b1'), 'X'), none.body.error.replace(nobody, 'X'));
  });

  test('a cell token cannot read the flow log or ask for explanations', async () => {
    assert.equal((await server.api('GET', '/v1/flows', undefined, p.c1.token)).status, 403);
    const q = `/v1/explain?source=${guid('a1')}&destination=${guid('a2')}`;
    assert.equal((await server.api('GET', q, undefined, p.c1.token)).status, 403);
  });
});
