import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadyPool } from '../../../src/host/ready-pool.js';

/** A pool of numbered items over fakes, with a log of what it did. */
function fakePool(opts: { failAt?: number; refillDelayMs?: number } = {}) {
  const log: string[] = [];
  let next = 0;
  const pool = new ReadyPool<number>({
    size: 2,
    refillDelayMs: opts.refillDelayMs ?? 0,
    clearLeft: () => {
      log.push('clear');
      return Promise.resolve();
    },
    make: () => {
      const n = next++;
      if (n === opts.failAt) return Promise.reject(new Error(`make ${n} failed`));
      log.push(`make ${n}`);
      return Promise.resolve(n);
    },
    discard: (n) => {
      log.push(`discard ${n}`);
      return Promise.resolve();
    },
    onError: (err) => log.push(`error ${String(err)}`),
  });
  return { pool, log };
}

const settle = () => sleep(20);

test('a pool clears what an earlier owner left before it makes anything, then fills to its size', async () => {
  const { pool, log } = fakePool();
  assert.equal(pool.take(), null, 'nothing is ready before open');
  await pool.open();
  await settle();
  assert.deepEqual(log.slice(0, 3), ['clear', 'make 0', 'make 1']);
  await pool.close();
});

test('each item is handed out once, and the pool refills only once starts pause', async () => {
  const { pool, log } = fakePool({ refillDelayMs: 10_000 });
  await pool.open();
  await settle();
  assert.equal(pool.take(), 0);
  assert.equal(pool.take(), 1);
  assert.equal(pool.take(), null, 'an empty pool makes the start make its own');
  await settle();
  assert.ok(!log.includes('make 2'), 'refilled while starts were still taking');
  await pool.close();
});

test('the refill comes after the delay that follows the last take', async () => {
  const { pool } = fakePool({ refillDelayMs: 0 });
  await pool.open();
  await settle();
  const taken = [pool.take(), pool.take()];
  await settle();
  const refilled = [pool.take(), pool.take()];
  assert.deepEqual(taken, [0, 1]);
  assert.deepEqual(refilled, [2, 3]);
  await pool.close();
});

test('a failed make stops the fill until the next take; close discards what was never taken', async () => {
  const { pool, log } = fakePool({ failAt: 1 });
  await pool.open();
  await settle();
  assert.ok(log.some((l) => l.startsWith('error Error: make 1 failed')));
  assert.equal(pool.take(), 0);
  await settle();
  await pool.close();
  assert.deepEqual(
    log.filter((l) => l.startsWith('discard')),
    ['discard 2', 'discard 3'],
  );
  assert.equal(pool.take(), null, 'a closed pool hands nothing out');
});
