// Real signals to this test's own process: if a repeat ended it, the test would not finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { untilSignal } from '../../../src/daemon/signals.js';

test('the first SIGINT or SIGTERM starts the stop; every later one is reported and ends nothing', async (t) => {
  // Signal listeners do not keep the event loop alive while the test waits for a signal.
  const keepAlive = setInterval(() => {}, 60_000);
  t.after(() => clearInterval(keepAlive));
  let reported: (signal: NodeJS.Signals) => void = () => {};
  const stop = untilSignal((signal) => reported(signal));

  process.kill(process.pid, 'SIGTERM');
  assert.equal(await stop, 'SIGTERM');
  // One at a time: the kernel merges a signal into one of its kind still pending.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGINT'] as const) {
    const repeat = new Promise<NodeJS.Signals>((resolve) => (reported = resolve));
    process.kill(process.pid, signal);
    assert.equal(await repeat, signal);
  }
});
