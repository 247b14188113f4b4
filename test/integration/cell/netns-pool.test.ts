// Network namespaces made ahead for the next starts: a start uses one at once and names it for its
// instance meanwhile; each serves one instance only, and none is left once the pool closes or its
// instance goes, nor after a cell that was killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { addInstanceNetns, releasePooledName } from '../../../src/cell/instance-network.js';
import { run } from '../../../src/host/run.js';
import { namedNetnsPath } from '../../../src/network/named-netns.js';
import { NetnsPool, removeLeftNetns } from '../../../src/network/netns-pool.js';

const PREFIX = `weftpool-it${process.pid}-`;
const READY = 2;

const pooled = () => readdirSync('/run/netns').filter((n) => n.startsWith(PREFIX));

async function untilReady(n: number): Promise<void> {
  for (let i = 0; i < 400 && pooled().length !== n; i++) await sleep(25);
  assert.equal(pooled().length, n, `expected ${n} namespaces ready, found ${String(pooled())}`);
}

/** The identity of the namespace a path holds (nsfs inode). */
const netnsId = (p: string) => statSync(p).ino;

test('starts take namespaces made ahead, each once, then named for their instance only; nothing is left after', async (t) => {
  const errors: unknown[] = [];
  const config = { prefix: PREFIX, size: READY, refillDelayMs: 100, onError: (e: unknown) => errors.push(e) };
  const pools: NetnsPool[] = [];
  const instances: { guid: string; netns: string }[] = [];
  t.after(async () => {
    for (const p of pools) await p.close();
    for (const i of instances) await run(['ip', 'netns', 'del', i.netns]).catch(() => '');
    await removeLeftNetns(PREFIX);
  });
  const pool = new NetnsPool(config);
  pools.push(pool);
  await pool.open();
  await untilReady(READY);

  await t.test(
    'a start gets a ready namespace at once, then it bears the instance’s own name only',
    async () => {
      const ready = pooled();
      const local = { guid: `guid-${process.pid}-a`, netns: `weft-it${process.pid}a` };
      instances.push(local);
      const netns = addInstanceNetns(local, pool);
      const first = await netns.path;
      assert.ok(ready.map(namedNetnsPath).includes(first), 'not a namespace made ahead');
      const id = netnsId(first);
      await netns.named;
      assert.equal(netnsId(namedNetnsPath(local.netns)), id, 'the instance’s name holds another namespace');
      // The first create and the plugin's ADD were given the pool's name; once they are done it goes.
      await releasePooledName(local.guid);
      assert.equal(existsSync(first), false, 'the pool’s name stays');
      assert.ok(!pooled().includes(first.split('/').pop()!), 'the pool still counts it');
      await untilReady(READY);
    },
  );

  await t.test('no two starts share a namespace, and a start finds one made when none is ready', async () => {
    const ids = new Set<number>();
    for (const x of ['b', 'c', 'd']) {
      const local = { guid: `guid-${process.pid}-${x}`, netns: `weft-it${process.pid}${x}` };
      instances.push(local);
      const netns = addInstanceNetns(local, pool);
      await netns.named;
      await releasePooledName(local.guid);
      ids.add(netnsId(namedNetnsPath(local.netns)));
    }
    assert.equal(ids.size, 3);
    // Each stays theirs: the ids of the pool's ready ones are new.
    await untilReady(READY);
    for (const name of pooled()) assert.ok(!ids.has(netnsId(namedNetnsPath(name))));
  });

  await t.test('a killed cell’s namespaces go with the next pool; close leaves none', async () => {
    // A second pool under the same prefix stands for the next cell after a SIGKILL: the first never closed.
    const next = new NetnsPool(config);
    pools.push(next);
    await next.open();
    await untilReady(READY);
    await next.close();
    await pool.close();
    assert.deepEqual(pooled(), []);
    assert.deepEqual(errors, []);
  });
});
