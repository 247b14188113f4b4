// A cell host lost, twice: once cut off the network (partitioned, its containers still running), once
// killed outright. Each time its instances come back on the other host, reachable by route name on 8080
// and 61443 exactly as policy says; each time the cell, back again, rejoins and removes the containers
// of the instances it no longer owns.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, run, TwoHosts } from './two-hosts.js';

const hosts = new TwoHosts('cl', '172.30');
const homes = hosts.homes;
const LOST_AFTER = '3s';
const DEADLINE_MS = 120_000;

// The CLI runs on cell-1's host, where app-a runs.
const cli = (...args: string[]) => hosts.cli(0, ...args);
const ok = (...args: string[]) => hosts.ok(0, ...args);

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The containers cell-2's runtime holds (their ids are instance GUIDs). */
async function containersOfCell2(): Promise<string[]> {
  const r = await run('runc', ['--root', path.join(homes[1], 'cell', 'runtime'), 'list', '--quiet']);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const CELL_2_FLAGS = ['--heartbeat-interval', '500ms'];

/** Which cell each app-b instance is on, by index, as `weft app` shows its addresses (10.96.N.x is cell N's). */
async function placement(): Promise<string[]> {
  const out = await ok('app', 'app-b');
  return [...out.matchAll(/^(\d+)\s+\S+\s+10\.96\.(\d+)\./gm)].map((m) => `${m[1]}:cell-${m[2]}`);
}

/** Curls each app-b instance by its per-instance name from app-a (on cell-1). */
async function probe(scheme: 'http' | 'https', port: number, count: number): Promise<string[]> {
  const cmd = Array.from({ length: count }, (_, i) => i)
    .map(
      (i) =>
        `curl -sS -m 2 ${scheme}://${i}.app-b.apps.internal:${port} >/dev/null 2>/tmp/err; ` +
        `case $? in 0) echo ${i}:ok;; 6) echo ${i}:unresolved;; *) echo ${i}:no;; esac`,
    )
    .join('; ');
  const r = await cli('ssh', 'app-a', '-c', cmd);
  return r.out
    .trim()
    .split('\n')
    .filter((l) => /^\d:/.test(l));
}

const allOk = (count: number) => Array.from({ length: count }, (_, i) => `${i}:ok`);

/** Waits until every app-b instance answers on 8080 and 61443; how long that took from `since`. */
async function answeringAgain(count: number, since: number): Promise<number> {
  await until('every instance answering', async () => {
    const both = [...(await probe('http', 8080, count)), ...(await probe('https', 61443, count))];
    return JSON.stringify(both) === JSON.stringify([...allOk(count), ...allOk(count)]) ? true : undefined;
  });
  return Date.now() - since;
}

async function cellState(id: string): Promise<string | undefined> {
  const line = (await ok('cells')).split('\n').find((l) => l.startsWith(`${id} `));
  return line?.split(/\s{2,}/)[3];
}

describe('a cell host lost and back', () => {
  let cell2: ChildProcess;

  before(async () => {
    await hosts.link();
    await hosts.startControlPlane(['--cell-lost-after', LOST_AFTER, '--heartbeat-interval', '500ms']);
    cell2 = await hosts.startCell2(CELL_2_FLAGS);
    const app = path.join(ROOT, 'examples/http-app');
    // Placement is least-loaded, by cell id on a tie: app-a on cell-1, app-b's #0 and #2 on cell-2.
    await ok('push', 'app-a', '-p', app, '-c', 'node server.js', '-i', '1');
    await ok('push', 'app-b', '-p', app, '-c', 'node server.js', '-i', '3');
    await ok('map-route', 'app-b', 'apps.internal', '--hostname', 'app-b');
    await ok('add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
    await ok('add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '61443');
    await answeringAgain(3, Date.now());
  });

  after(() => hosts.remove());

  test('cell-2 runs instances of app-b before it is lost', async () => {
    assert.deepEqual(await placement(), ['0:cell-2', '1:cell-1', '2:cell-2']);
    assert.equal((await containersOfCell2()).length, 2);
  });

  test('cut off the network, cell-2 is declared lost and its instances answer again on cell-1', async (t) => {
    const cut = Date.now();
    await run('ip', ['-n', hosts.names[1], 'link', 'set', `${hosts.names[1]}v`, 'down']);
    const took = await answeringAgain(3, cut);
    t.diagnostic(
      `partitioned cell → every instance answering on the other cell: ${took} ms (--cell-lost-after ${LOST_AFTER})`,
    );
    assert.deepEqual(await placement(), ['0:cell-1', '1:cell-1', '2:cell-1']);
    assert.match((await cellState('cell-2')) ?? '', /^lost/);
  });

  test('policy still decides: without the 8080 policy only 61443 answers', async () => {
    await ok('remove-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
    assert.deepEqual(await probe('http', 8080, 3), ['0:no', '1:no', '2:no']);
    assert.deepEqual(await probe('https', 61443, 3), allOk(3));
    await ok('add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
  });

  test('reconnected, cell-2 rejoins with its lease and stops the containers it no longer owns', async () => {
    await run('ip', ['-n', hosts.names[1], 'link', 'set', `${hosts.names[1]}v`, 'up']);
    await until('cell-2 alive', async () => ((await cellState('cell-2')) === 'alive' ? true : undefined));
    await until('cell-2 without containers', async () =>
      (await containersOfCell2()).length === 0 ? true : undefined,
    );
    assert.deepEqual(await placement(), ['0:cell-1', '1:cell-1', '2:cell-1']);
  });

  test('killed outright, cell-2’s instances move; restarted, it removes the containers it left', async (t) => {
    // Two more instances go to the emptier cell-2.
    await ok('scale', 'app-b', '-i', '5');
    await until('app-b #3 and #4 on cell-2', async () => {
      const p = await placement();
      return p.includes('3:cell-2') && p.includes('4:cell-2') ? true : undefined;
    });
    await answeringAgain(5, Date.now());
    const left = await containersOfCell2();
    assert.equal(left.length, 2);
    const killed = Date.now();
    cell2.kill('SIGKILL');
    const took = await answeringAgain(5, killed);
    t.diagnostic(
      `killed cell → every instance answering on the other cell: ${took} ms (--cell-lost-after ${LOST_AFTER})`,
    );
    assert.ok((await placement()).every((p) => p.endsWith(':cell-1')));
    // The killed cell's containers outlive it until it comes back.
    assert.deepEqual((await containersOfCell2()).sort(), left.sort());
    cell2 = await hosts.startCell2(CELL_2_FLAGS);
    assert.equal(await cellState('cell-2'), 'alive');
    assert.deepEqual(await containersOfCell2(), []);
    await answeringAgain(5, Date.now());
  });
});
