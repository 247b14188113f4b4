import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellRow } from '../../../src/cli/commands/cells.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const cell = {
  id: 'cell-2',
  hostIp: '192.0.2.2',
  subnet: '10.255.2.0/24',
  state: 'alive' as const,
  lastSeen: '2026-01-01T11:59:58.000Z',
  lostAt: null,
  instances: 3,
  running: 2,
  behind: 0,
};

test('a cell shows its lease, how long ago it was heard and its load', () => {
  assert.deepEqual(cellRow(cell, NOW), [
    'cell-2',
    '192.0.2.2',
    '10.255.2.0/24',
    'alive',
    '2s ago',
    '3 (2 running)',
    'caught up',
  ]);
});

test('a cell behind the change stream says by how many revisions', () => {
  assert.equal(cellRow({ ...cell, behind: 12 }, NOW)[6], '12 behind');
});

test('a lost cell says since when; a cell never heard says so', () => {
  const lost = { ...cell, state: 'lost' as const, lostAt: '2026-01-01T11:55:00.000Z', instances: 0 };
  assert.equal(cellRow(lost, NOW)[3], 'lost 5m ago');
  assert.deepEqual(cellRow({ ...cell, lastSeen: null, running: null, behind: null }, NOW).slice(4), [
    'never',
    '3',
    'unknown',
  ]);
});
