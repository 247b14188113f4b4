import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../../src/cells/duration.js';

describe('durations on the command line', () => {
  test('a whole number and one unit is read in milliseconds', () => {
    assert.equal(parseDuration('--x', '500ms'), 500);
    assert.equal(parseDuration('--x', '10s'), 10_000);
    assert.equal(parseDuration('--x', '5m'), 300_000);
    assert.equal(parseDuration('--x', '1h'), 3_600_000);
  });

  test('anything else is refused, naming the flag', () => {
    for (const bad of [
      '',
      '10',
      's',
      '0s',
      '-1s',
      '1.5s',
      '10 s',
      ' 10s',
      '10s ',
      '1d',
      '10S',
      '1e3ms',
      '0x10s',
    ]) {
      assert.throws(() => parseDuration('--cell-lost-after', bad), /--cell-lost-after/, bad);
    }
  });

  test('a formatted duration reads back as itself', () => {
    for (const ms of [1, 500, 1_000, 1_500, 10_000, 90_000, 300_000, 3_600_000]) {
      assert.equal(parseDuration('--x', formatDuration(ms)), ms);
    }
    assert.equal(formatDuration(10_000), '10s');
    assert.equal(formatDuration(300_000), '5m');
  });
});
