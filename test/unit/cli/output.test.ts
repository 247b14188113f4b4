import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cfUsageError, errorMessage, formatFields, formatTable } from '../../../src/cli/output.js';

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

test('usage errors of the command line read as the cf CLI’s', () => {
  const cases: [string, string][] = [
    ["error: unknown option '--bogus'\n", "Incorrect Usage: unknown flag `bogus'"],
    [
      "error: missing required argument 'SOURCE_APP'\n",
      'Incorrect Usage: the required argument `SOURCE_APP` was not provided',
    ],
    [
      "error: option '--port <port>' argument missing\n",
      "Incorrect Usage: expected argument for flag `--port'",
    ],
    [
      "error: option '-s, --space <space>' argument missing\n",
      "Incorrect Usage: expected argument for flag `-s, --space'",
    ],
    [
      "error: required option '--port <port>' not specified\n",
      "Incorrect Usage: the required flag `--port' was not specified",
    ],
    ["error: unknown command 'nope'\n", "'nope' is not a registered command. See 'weft --help'"],
    [
      "error: too many arguments for 'app'. Expected 1 argument but got 3.\n",
      "Incorrect Usage: too many arguments for 'app'. Expected 1 argument but got 3.",
    ],
  ];
  for (const [commander, cf] of cases) assert.equal(cfUsageError(commander), cf);
  assert.equal(
    cfUsageError("error: unknown option '--prot'\n(Did you mean --protocol?)\n"),
    "Incorrect Usage: unknown flag `prot'\n(Did you mean --protocol?)",
  );
});
