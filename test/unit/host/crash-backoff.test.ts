import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrashBackoff } from '../../../src/host/crash-backoff.js';

const opts = { firstDelayMs: 100, maxDelayMs: 1000, healthyAfterMs: 10_000 };

test('a child that crashes after a long run starts again at once, every time', () => {
  const b = new CrashBackoff(opts);
  for (let i = 0; i < 5; i++) assert.equal(b.delayAfterCrash(60_000), 0);
});

test('a child that keeps dying soon after it starts waits longer each time, up to the cap', () => {
  const b = new CrashBackoff(opts);
  const delays = Array.from({ length: 7 }, () => b.delayAfterCrash(50));
  assert.deepEqual(delays, [0, 100, 200, 400, 800, 1000, 1000]);
});

test('one long run clears the crash loop', () => {
  const b = new CrashBackoff(opts);
  b.delayAfterCrash(10);
  b.delayAfterCrash(10);
  assert.equal(b.delayAfterCrash(10), 200);
  assert.equal(b.delayAfterCrash(20_000), 0);
  assert.equal(b.delayAfterCrash(10), 100);
});
