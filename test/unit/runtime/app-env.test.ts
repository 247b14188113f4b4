import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envList } from '../../../src/runtime/app-env.js';

test('the app environment keeps quotes, newlines and shell syntax exactly, as KEY=VALUE', () => {
  const tricky = { A: "it's", B: 'line 1\nline 2', C: '$(touch /nope) `x` $HOME; \\' };
  assert.deepEqual(envList(tricky), [
    'PATH=/usr/local/bin:/usr/bin:/bin',
    "A=it's",
    'B=line 1\nline 2',
    'C=$(touch /nope) `x` $HOME; \\',
  ]);
});

test("the app PATH defaults to the usual directories and yields to the app's own", () => {
  assert.deepEqual(envList({}), ['PATH=/usr/local/bin:/usr/bin:/bin']);
  assert.deepEqual(envList({ PATH: '/app/bin' }), ['PATH=/app/bin']);
});

test('refuses variable names that would be misread', () => {
  assert.throws(() => envList({ 'A=B': 'x' }), /bad environment variable name/);
  assert.throws(() => envList({ 'A;B': 'x' }), /bad environment variable name/);
});
