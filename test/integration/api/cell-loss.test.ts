// Cell loss at the API: a cell that stops heart-beating is declared lost, its instances move to the
// alive cells (never to a lost one), and its lease is released after the grace. A lost cell — partitioned
// or compromised — cannot steal an instance or an address back, on either database, and two servers
// sweeping one PostgreSQL at once move each instance once.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent, CellStatus } from '../../../src/contract/api.js';
import type { App, Cell, Instance } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { created, seedTenancy } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/weft-host.js';
import { addressIn } from '../security/platform.js';

const DEADLINE_MS = 30_000;
const FLAGS = ['--cell-lost-after', '1s', '--lease-grace', '4s'];
const databases = testDatabases();
after(() => databases.stop());

interface FakeCell {
  id: string;
  token: string;
  subnet: string;
  /** Heart-beats every 200 ms until stopped, as a cell does every --heartbeat-interval. */
  beating: NodeJS.Timeout | null;
}

for (const kind of DATABASE_KINDS) {
  describe(`cell loss (${kind})`, () => {
    const servers: TestServer[] = [];
    let api: TestServer;
    let app: App;
    let c1: FakeCell;
    let c2: FakeCell;
    let moved: Instance[] = [];

    after(async () => {
      for (const c of [c1, c2]) if (c?.beating) clearInterval(c.beating);
      for (const s of servers) await s.stop();
    });

    const beat = (c: FakeCell) => api.api('PUT', `/v1/cells/${c.id}/presence`, { running: 0 }, c.token);
    // The first heartbeat goes at once, as a cell's does: a cell never heard from is never declared lost.
    const startBeating = async (c: FakeCell) => {
      assert.equal((await beat(c)).status, 204);
      c.beating ??= setInterval(() => void beat(c), 200);
    };
    const stopBeating = (c: FakeCell) => {
      if (c.beating) clearInterval(c.beating);
      c.beating = null;
    };
    const cells = async () => (await api.api<CellStatus[]>('GET', '/v1/cells')).body;
    const cellState = async (id: string) => (await cells()).find((c) => c.id === id)?.state;
    const instances = async () => (await api.api<Instance[]>('GET', `/v1/apps/${app.guid}/instances`)).body;
    const events = async (action: string) =>
      (await api.api<AuditEvent[]>('GET', '/v1/events?limit=1000')).body.filter((e) => e.action === action);

    async function register(id: string, hostIp: string): Promise<FakeCell> {
      const { token } = await created<{ token: string }>(
        api.api('POST', '/v1/tokens', { name: `cell-${id}`, role: 'cell', cellId: id }),
      );
      const cell = await created<Cell>(api.api('PUT', `/v1/cells/${id}`, { hostIp }, token));
      return { id, token, subnet: cell.subnet, beating: null };
    }

    test('a silent cell is declared lost and its instances start on the alive cell', async () => {
      const database = await databases.fresh(kind, 'cellloss');
      const first = await startServer({ database, flags: FLAGS });
      servers.push(first);
      // On PostgreSQL a second server sweeps the same database at the same time.
      if (kind === 'postgres') {
        servers.push(await startServer({ database, flags: FLAGS, adminToken: first.adminToken }));
      }
      api = first;
      c1 = await register('c1', '192.0.2.1');
      c2 = await register('c2', '192.0.2.2');
      await startBeating(c1);
      await startBeating(c2);
      const tenancy = await seedTenancy(api);
      app = await created<App>(
        api.api('POST', '/v1/apps', {
          name: 'moving',
          spaceGuid: tenancy.spaceA.guid,
          command: 'x',
          instances: 4,
        }),
      );
      const onC2 = (await instances()).filter((i) => i.cellId === 'c2');
      assert.equal(onC2.length, 2);
      for (const [n, i] of onC2.entries()) {
        const r = await api.api(
          'PUT',
          `/v1/cells/c2/instances/${i.guid}`,
          { state: 'RUNNING', ip: addressIn(c2.subnet, 10 + n) },
          c2.token,
        );
        assert.equal(r.status, 200);
      }

      stopBeating(c2);
      await waitFor(
        'c2 lost',
        async () => ((await cellState('c2')) === 'lost' ? true : undefined),
        DEADLINE_MS,
      );
      const now = await instances();
      moved = now.filter((i) => onC2.some((o) => o.guid === i.guid));
      assert.deepEqual(
        moved.map((i) => [i.cellId, i.state, i.ip]),
        [
          ['c1', 'STARTING', null],
          ['c1', 'STARTING', null],
        ],
      );
      assert.equal(await cellState('c1'), 'alive');
      // Each server swept; each instance moved once, and the cell was declared lost once.
      assert.equal((await events('cell.lost')).length, 1);
      const rescheduled = (await events('instance.rescheduled')).map((e) => e.target);
      for (const i of moved) assert.equal(rescheduled.filter((t) => t === `instance:${i.guid}`).length, 1);
    });

    test('a lost cell cannot report on the instances that moved, nor heartbeat, nor take new ones', async () => {
      const target = moved[0]!;
      const steal = await api.api(
        'PUT',
        `/v1/cells/c2/instances/${target.guid}`,
        { state: 'RUNNING', ip: addressIn(c2.subnet, 10) },
        c2.token,
      );
      assert.equal(steal.status, 409);
      assert.equal((await beat(c2)).status, 409);
      const join = await api.api('POST', '/v1/cells/c2/external-instances', { appGuid: app.guid }, c2.token);
      assert.equal(join.status, 409);
      const after = (await instances()).find((i) => i.guid === target.guid);
      assert.deepEqual([after?.cellId, after?.ip], ['c1', null]);
    });

    test('placement never picks a lost cell', async () => {
      await created(api.api('PATCH', `/v1/apps/${app.guid}`, { instances: 6 }));
      assert.deepEqual([...new Set((await instances()).map((i) => i.cellId))], ['c1']);
    });

    test('a lost cell that registers again keeps its lease, and still cannot take its instances back', async () => {
      const again = await created<Cell>(api.api('PUT', '/v1/cells/c2', { hostIp: '192.0.2.2' }, c2.token));
      assert.equal(again.subnet, c2.subnet);
      assert.equal(await cellState('c2'), 'alive');
      assert.equal((await beat(c2)).status, 204);
      const target = moved[0]!;
      const steal = await api.api(
        'PUT',
        `/v1/cells/c2/instances/${target.guid}`,
        { state: 'RUNNING', ip: addressIn(c2.subnet, 10) },
        c2.token,
      );
      assert.equal(steal.status, 404);
      assert.equal((await instances()).find((i) => i.guid === target.guid)?.cellId, 'c1');
      assert.equal((await events('cell.return')).length, 1);
    });

    test('instances that waited for want of an alive cell go to the first that comes back', async () => {
      stopBeating(c1);
      stopBeating(c2);
      await waitFor(
        'every cell lost',
        async () => ((await cells()).every((c) => c.state === 'lost') ? true : undefined),
        DEADLINE_MS,
      );
      assert.ok((await instances()).every((i) => i.cellId === ''));
      await created(api.api('PUT', '/v1/cells/c1', { hostIp: '192.0.2.1' }, c1.token));
      await startBeating(c1);
      assert.ok((await instances()).every((i) => i.cellId === 'c1'));
    });

    test('after the grace a lost cell’s lease is released and leased again; the cell comes back on a new one', async () => {
      await waitFor(
        'c2 released',
        async () => ((await cells()).some((c) => c.id === 'c2') ? undefined : true),
        DEADLINE_MS,
      );
      assert.equal((await events('lease.released')).length, 1);
      assert.equal((await beat(c2)).status, 404);
      const c3 = await register('c3', '192.0.2.3');
      assert.equal(c3.subnet, c2.subnet);
      const back = await created<Cell>(api.api('PUT', '/v1/cells/c2', { hostIp: '192.0.2.2' }, c2.token));
      assert.notEqual(back.subnet, c2.subnet);
    });
  });
}
