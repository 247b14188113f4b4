import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rootProcessEnv, WITH_APP_ENV } from '../../../src/runtime/app-env.js';

test('root processes get only the system PATH and the encoded app environment', () => {
  const env = rootProcessEnv({ LD_PRELOAD: '/app/evil.so', PORT: '8080' });
  assert.deepEqual(Object.keys(env).sort(), ['PATH', 'WEFT_APP_ENV']);
  assert.match(env.PATH ?? '', /\/usr\/sbin/);
});

test('the app environment survives quotes, newlines and shell syntax exactly', () => {
  const tricky = {
    A: "it's",
    B: 'line 1\nline 2',
    C: '$(touch /nope) `x` $HOME; \\',
    PATH: '/app/bin:/usr/bin',
  };
  const out = execFileSync(WITH_APP_ENV[0] ?? '', [...WITH_APP_ENV.slice(1), '/usr/bin/env', '-0'], {
    env: rootProcessEnv(tricky),
    encoding: 'utf8',
  });
  const got = Object.fromEntries(
    out
      .split('\0')
      .filter((e) => e !== '')
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  assert.deepEqual({ A: got.A, B: got.B, C: got.C, PATH: got.PATH }, tricky);
  assert.equal(got.WEFT_APP_ENV, undefined);
});

test('the app PATH defaults to the usual directories', () => {
  assert.match(rootProcessEnv({}).WEFT_APP_ENV ?? '', /^export PATH='\/usr\/local\/bin:\/usr\/bin:\/bin'$/);
});

test('refuses variable names the shell could misread', () => {
  assert.throws(() => rootProcessEnv({ 'A;B': 'x' }), /bad environment variable name/);
  assert.throws(() => rootProcessEnv({ WEFT_APP_ENV: 'x' }), /bad environment variable name/);
});
