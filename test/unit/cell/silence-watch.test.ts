import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { SilenceWatch } from '../../../src/cell/silence-watch.js';

const LIMIT_MS = 1_500;
const CHECK_MS = LIMIT_MS / 4;

beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

test('a stream heard more often than the limit is never called silent', () => {
  let silent = 0;
  const watch = new SilenceWatch(LIMIT_MS, () => (silent += 1));
  for (let i = 0; i < 40; i++) {
    mock.timers.tick(CHECK_MS);
    watch.heard();
  }
  watch.stop();
  assert.equal(silent, 0);
});

test('a stream quiet for longer than the limit is called silent, once', () => {
  let silent = 0;
  const watch = new SilenceWatch(LIMIT_MS, () => (silent += 1));
  for (let i = 0; i < 20; i++) mock.timers.tick(CHECK_MS);
  watch.stop();
  assert.equal(silent, 1);
});

test('time the process spent blocked does not count as silence', () => {
  let silent = 0;
  const watch = new SilenceWatch(LIMIT_MS, () => (silent += 1));
  mock.timers.tick(CHECK_MS);
  // The clock jumps while no check could run, as when the event loop is busy applying a snapshot.
  mock.timers.setTime(Date.now() + 10 * LIMIT_MS);
  mock.timers.tick(CHECK_MS);
  watch.heard();
  mock.timers.tick(CHECK_MS);
  watch.stop();
  assert.equal(silent, 0);
});
