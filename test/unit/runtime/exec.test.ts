import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execArgv, execProcess } from '../../../src/runtime/exec.js';

const opts = { uid: 2000, gid: 2000, env: { TERM: 'xterm' }, cwd: '/home/vcap/app' };

test('runs the command as the app user, with its environment, no capabilities and no new privileges', () => {
  assert.deepEqual(execProcess({ ...opts, command: ['id', '-u'] }), {
    terminal: false,
    user: { uid: 2000, gid: 2000, additionalGids: [] },
    args: ['id', '-u'],
    env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'TERM=xterm'],
    cwd: '/home/vcap/app',
    capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
    noNewPrivileges: true,
  });
});

test('defaults to an interactive shell', () => {
  assert.deepEqual(execArgv({}), ['/bin/sh', '-i']);
});

test('quotes the command for the pseudo-terminal so arguments stay whole', () => {
  assert.deepEqual(execArgv({ tty: true, command: ['echo', "it's $HOME; rm -rf /"] }), [
    '/usr/bin/script',
    '-q',
    '-e',
    '-c',
    `'echo' 'it'\\''s $HOME; rm -rf /'`,
    '/dev/null',
  ]);
});

test('refuses to exec as root', () => {
  assert.throws(() => execProcess({ ...opts, uid: 0 }), /non-root/);
  assert.throws(() => execProcess({ ...opts, gid: 0 }), /non-root/);
});
