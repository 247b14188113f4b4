// Four hosts (network namespaces on one bridge), each with its own `weft cell`, follow two `weft server`s
// on one PostgreSQL. The seed scenario runs across hosts with the exact reachability matrix before and
// after policy changes; then one API server is killed (the CLI and the cells carry on through the other,
// nothing acknowledged is lost, nothing fails open); then one host dies (its instances start on the
// others) and comes back (its cell cleans up and rejoins).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { newSealKeyFile, startServer, tempDir, type TestServer } from '../../helpers/control-plane.js';
import { testDatabases } from '../../helpers/databases.js';
import { waitFor } from '../../helpers/weft-host.js';
import { FourHosts, type Reach } from './four-hosts.js';

const databases = testDatabases();
const work = tempDir('weft-4hosts-');
const hosts = new FourHosts(work);
let a: TestServer;
let b: TestServer;

type Row = Record<string, Reach>;

const FROM_A = [
  'http://0.app-b.apps.internal:8080',
  'http://1.app-b.apps.internal:8080',
  'https://0.app-b.apps.internal:61443',
  'https://1.app-b.apps.internal:61443',
];
const FROM_B = ['http://app-a.apps.internal:8080'];

/**
 * From app-a's instance: app-b's instances by name on 8080 and 61443; from app-b's second: app-a on
 * 8080. Asked again while it differs from what is expected, until the cells settle or time runs out.
 */
async function matrix(expected: Row): Promise<Row> {
  return {
    ...(await hosts.reach('app-a', 0, FROM_A, expected)),
    ...(await hosts.reach('app-b', 1, FROM_B, expected)),
  };
}

const closed: Row = {
  'http://0.app-b.apps.internal:8080': 'refused',
  'http://1.app-b.apps.internal:8080': 'refused',
  'https://0.app-b.apps.internal:61443': 'refused',
  'https://1.app-b.apps.internal:61443': 'refused',
  'http://app-a.apps.internal:8080': 'refused',
};

const open8080: Row = {
  ...closed,
  'http://0.app-b.apps.internal:8080': 'ok',
  'http://1.app-b.apps.internal:8080': 'ok',
};
const open61443: Row = {
  ...closed,
  'https://0.app-b.apps.internal:61443': 'ok',
  'https://1.app-b.apps.internal:61443': 'ok',
};

const openBoth: Row = {
  'http://0.app-b.apps.internal:8080': 'ok',
  'http://1.app-b.apps.internal:8080': 'ok',
  'https://0.app-b.apps.internal:61443': 'ok',
  'https://1.app-b.apps.internal:61443': 'ok',
};

async function expectMatrix(expected: Row): Promise<void> {
  assert.deepEqual(await matrix(expected), expected);
}

const policy = (port: number) => ['app-a', 'app-b', '--protocol', 'tcp', '--port', String(port)];

describe('four hosts, two API servers, one PostgreSQL', () => {
  before(async () => {
    await hosts.wire();
    const database = (await databases.fresh('postgres', 'fourhosts')) ?? '';
    const sealKeyFile = newSealKeyFile();
    // One address of the bridge each: what the cells on the other hosts dial.
    const serve = (address: string, adminToken?: string) =>
      startServer({
        database,
        sealKeyFile,
        adminToken,
        // Short, so the test sees a lost cell soon; the cells heart-beat every 500 ms.
        flags: ['--listen', `${address}:9090`, '--cell-lost-after', '3s'],
      });
    a = await serve(hosts.serverAddress(0));
    b = await serve(hosts.serverAddress(1), a.adminToken);
    await hosts.start([a, b]);
    await hosts.seed();
  });

  after(async () => {
    await hosts.teardown();
    for (const s of [a, b]) await s?.stop();
    await databases.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('the seed apps run on different hosts', async () => {
    const cellsOf = async (app: string) => new Set((await hosts.instances(app)).map((i) => i.cellId));
    const [onA, onB] = [await cellsOf('app-a'), await cellsOf('app-b')];
    assert.equal(onB.size, 2, 'app-b’s two instances are on two hosts');
    for (const cell of onA) assert.ok(!onB.has(cell), `app-a shares no host with app-b (${cell})`);
  });

  test('logs of instances on two hosts reach the CLI off every host, through the control plane', async () => {
    const logs = await hosts.cli('logs', 'app-b', '--recent');
    assert.match(logs, /\[APP\/PROC\/WEB\/0\]/);
    assert.match(logs, /\[APP\/PROC\/WEB\/1\]/);
  });

  test('nothing crosses between hosts without a policy', async () => {
    assert.deepEqual(await matrix(closed), closed);
  });

  test('policies open exactly their port, in one direction, on every host', async () => {
    await hosts.cli('add-network-policy', ...policy(8080));
    await expectMatrix(open8080);
    await hosts.cli('add-network-policy', ...policy(61443));
    await hosts.cli('remove-network-policy', ...policy(8080));
    await expectMatrix(open61443);
    // Each cell's heartbeat says the revision it applied: all four have caught up with the stream.
    await waitFor(
      'every cell to report it caught up',
      async () => ((await hosts.cli('cells')).match(/alive .* caught up/g)?.length === 4 ? true : undefined),
      10_000,
    );
  });

  test('with one API server killed, the CLI and every cell carry on through the other', async () => {
    // Acknowledged by the server about to die: it must survive it, and reach every cell.
    await hosts.cli('add-network-policy', ...policy(8080));
    await a.kill();
    await expectMatrix({ ...open61443, ...openBoth });
    const started = Date.now();
    await hosts.cli('remove-network-policy', ...policy(61443));
    const cliMs = Date.now() - started;
    await expectMatrix(open8080);
    const listed = await hosts.cli('network-policies');
    assert.match(listed, /app-a\s+app-b\s+tcp\s+8080/);
    assert.doesNotMatch(listed, /61443/);
    console.log(`# a CLI call with server A dead: ${cliMs} ms, failover included`);
  });

  test('a host that dies: its instances start on the others, reachable as policies say', async () => {
    const victim = (await hosts.instances('app-b')).find((i) => i.index === 1);
    const n = hosts.cells.findIndex((c) => c.id === victim?.cellId);
    assert.ok(n >= 0, 'app-b/1 runs on one of the hosts');
    const killedAt = Date.now();
    await hosts.killHost(n);
    const moved = await hosts.running('app-b', 2, 60_000, victim?.cellId);
    const movedMs = Date.now() - killedAt;
    assert.deepEqual(
      moved.map((i) => i.index),
      [0, 1],
    );
    await expectMatrix(open8080);
    const reachableMs = Date.now() - killedAt;
    console.log(
      `# host killed → app-b running elsewhere: ${movedMs} ms; reachable as before: ${reachableMs} ms`,
    );
    assert.match(await hosts.cli('cells'), new RegExp(`${victim?.cellId ?? ''}\\s.*lost`));

    await hosts.restartHost(n);
    const cells = await waitFor(
      'the restarted cell to be alive again',
      async () => {
        const out = await hosts.cli('cells');
        return new RegExp(`${victim?.cellId ?? ''}\\s.*alive`).test(out) ? out : undefined;
      },
      30_000,
    );
    assert.match(cells, new RegExp(`${victim?.cellId ?? ''}\\s`));
    assert.deepEqual(await hosts.containersOn(n), [], 'the restarted cell removed its old containers');
    assert.ok(
      (await hosts.instances('app-b')).every((i) => i.cellId !== victim?.cellId),
      'nothing moved back to it',
    );
    await expectMatrix(open8080);
  });
});
