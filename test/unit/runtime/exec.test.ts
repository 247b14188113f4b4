import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WITH_APP_ENV } from '../../../src/runtime/app-env.js';
import { execArgv } from '../../../src/runtime/exec.js';

const drop = [
  '/usr/bin/setpriv',
  '--reuid=2000',
  '--regid=2000',
  '--clear-groups',
  '--inh-caps=-all',
  '--bounding-set=-all',
  '--no-new-privs',
  '--',
  ...WITH_APP_ENV,
];

test('runs the command as the app user with every capability dropped, then applies its environment', () => {
  assert.deepEqual(execArgv({ uid: 2000, gid: 2000, env: {}, command: ['id', '-u'] }), [...drop, 'id', '-u']);
});

test('defaults to an interactive shell', () => {
  assert.deepEqual(execArgv({ uid: 2000, gid: 2000, env: {} }), [...drop, '/bin/sh', '-i']);
});

test('quotes the command for the pseudo-terminal so arguments stay whole', () => {
  const argv = execArgv({
    uid: 2000,
    gid: 2000,
    env: {},
    tty: true,
    command: ['echo', "it's $HOME; rm -rf /"],
  });
  assert.deepEqual(argv.slice(drop.length), [
    '/usr/bin/script',
    '-q',
    '-e',
    '-c',
    `'echo' 'it'\\''s $HOME; rm -rf /'`,
    '/dev/null',
  ]);
});

test('refuses to exec as root', () => {
  assert.throws(() => execArgv({ uid: 0, gid: 2000, env: {} }), /non-root/);
});
