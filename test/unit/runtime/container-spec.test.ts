import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec, type ContainerSpec } from '../../../src/runtime/container-spec.js';

const spec: ContainerSpec = {
  id: '6f1c-guid',
  netnsPath: '/run/netns/weft-6f1c',
  command: 'node server.js',
  cwd: '/home/vcap/app',
  env: { PORT: '8080' },
  uid: 2000,
  gid: 2000,
  memoryMb: 256,
  diskMb: 1024,
  pids: 1024,
  hostname: '6f1c-guid',
  mounts: [
    { source: '/var/weft/6f1c/creds', target: '/etc/cf-instance-credentials', readOnly: true },
    { source: '/var/weft/app', target: '/home/vcap/app', readOnly: true },
  ],
  userns: null,
};

test('accepts a well-formed spec', () => {
  assert.doesNotThrow(() => validateSpec(spec));
});

test('refuses to run the app as root', () => {
  assert.throws(() => validateSpec({ ...spec, uid: 0 }), /uid must be a non-root id/);
  assert.throws(() => validateSpec({ ...spec, gid: 0 }), /gid must be a non-root id/);
});

test('refuses mounts over the root, /proc, /sys or /dev', () => {
  for (const target of ['/', '/proc/sys', '/sys', '/dev/shm/x']) {
    assert.throws(
      () => validateSpec({ ...spec, mounts: [{ source: '/x', target, readOnly: true }] }),
      /mount target/,
      target,
    );
  }
});

test('refuses relative or unnormalised paths, bad names, empty commands and no limits', () => {
  assert.throws(() => validateSpec({ ...spec, cwd: 'app' }), /cwd must be a normalised absolute path/);
  assert.throws(() => validateSpec({ ...spec, cwd: '/home/../etc' }), /normalised/);
  assert.throws(() => validateSpec({ ...spec, id: '../escape' }), /bad container id/);
  assert.throws(() => validateSpec({ ...spec, id: '..' }), /bad container id/);
  assert.throws(() => validateSpec({ ...spec, hostname: '-x' }), /bad hostname/);
  assert.throws(() => validateSpec({ ...spec, env: { 'A=B': '1' } }), /bad environment variable name/);
  assert.throws(() => validateSpec({ ...spec, command: '  ' }), /command is empty/);
  assert.throws(() => validateSpec({ ...spec, netnsPath: 'weft-6f1c' }), /netnsPath/);
  for (const limit of ['memoryMb', 'diskMb', 'pids'] as const) {
    assert.throws(() => validateSpec({ ...spec, [limit]: 0 }), new RegExp(limit));
  }
});
