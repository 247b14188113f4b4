import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initArgs, validateSpec, type ContainerSpec } from '../../../src/runtime/container-spec.js';

const spec: ContainerSpec = {
  id: '6f1c-guid',
  netns: 'weft-6f1c',
  command: 'node server.js',
  cwd: '/home/vcap/app',
  env: { PORT: '8080' },
  uid: 2000,
  gid: 2000,
  memoryMb: 256,
  hostname: '6f1c-guid',
  mounts: [
    { source: '/var/weft/6f1c/creds', target: '/etc/cf-instance-credentials', readOnly: true },
    { source: '/var/weft/app', target: '/home/vcap/app', readOnly: false },
  ],
};

test('accepts a well-formed spec', () => {
  assert.doesNotThrow(() => validateSpec(spec));
});

test('refuses to run the app as root', () => {
  assert.throws(() => validateSpec({ ...spec, uid: 0 }), /uid must be a non-root id/);
  assert.throws(() => validateSpec({ ...spec, gid: 0 }), /gid must be a non-root id/);
});

test('refuses paths hidden by the private /tmp', () => {
  assert.throws(() => validateSpec({ ...spec, cwd: '/tmp/app' }), /cwd \/tmp\/app is hidden/);
  assert.throws(
    () => validateSpec({ ...spec, mounts: [{ source: '/x', target: '/dev/shm/x', readOnly: true }] }),
    /mount target \/dev\/shm\/x is hidden/,
  );
});

test('refuses relative or unnormalised paths, bad names and empty commands', () => {
  assert.throws(() => validateSpec({ ...spec, cwd: 'app' }), /cwd must be a normalised absolute path/);
  assert.throws(() => validateSpec({ ...spec, cwd: '/home/../etc' }), /normalised/);
  assert.throws(() => validateSpec({ ...spec, id: '../escape' }), /bad container id/);
  assert.throws(() => validateSpec({ ...spec, hostname: '-x' }), /bad hostname/);
  assert.throws(() => validateSpec({ ...spec, env: { 'A=B': '1' } }), /bad environment variable name/);
  assert.throws(() => validateSpec({ ...spec, command: '  ' }), /command is empty/);
  assert.throws(() => validateSpec({ ...spec, memoryMb: 0 }), /memoryMb/);
});

test('hands the init script its settings and mounts as separate arguments', () => {
  assert.deepEqual(initArgs(spec, '/sys/fs/cgroup/memory/weft/6f1c-guid/cgroup.procs'), [
    '/sys/fs/cgroup/memory/weft/6f1c-guid/cgroup.procs',
    '6f1c-guid',
    '2000',
    '2000',
    '/home/vcap/app',
    'node server.js',
    '/var/weft/6f1c/creds',
    '/etc/cf-instance-credentials',
    'ro',
    '/var/weft/app',
    '/home/vcap/app',
    'rw',
  ]);
  assert.equal(initArgs(spec, undefined)[0], '-');
});
