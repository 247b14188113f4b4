import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage, formatFields, formatTable } from '../../../src/cli/output.js';

test('table columns line up two spaces past their widest cell', () => {
  const lines = formatTable(
    ['name', 'state', 'routes'],
    [
      ['app-a', 'started', 'a.apps.internal'],
      ['backend-service', 'stopped', ''],
    ],
  );
  assert.deepEqual(lines, [
    'name             state    routes',
    'app-a            started  a.apps.internal',
    'backend-service  stopped',
  ]);
});

test('a table with no rows is its header', () => {
  assert.deepEqual(formatTable(['name'], []), ['name']);
});

test('fields line up their values after the longest name', () => {
  assert.deepEqual(
    formatFields([
      ['name', 'app-a'],
      ['requested state', 'started'],
      ['routes', ''],
    ]),
    ['name:              app-a', 'requested state:   started', 'routes:'],
  );
});

test('errors are told by their message, anything else as text', () => {
  assert.equal(errorMessage(new Error('App x not found')), 'App x not found');
  assert.equal(errorMessage('plain words'), 'plain words');
});
