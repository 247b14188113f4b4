import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupV2Only, chooseRuntime } from '../../../src/runtime/oci/runtime-choice.js';

const HYBRID = [
  '30 24 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw',
  '33 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory',
].join('\n');
const UNIFIED = '30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw';

test('tells a cgroup v2-only host from a hybrid one', () => {
  assert.equal(cgroupV2Only(UNIFIED), true);
  assert.equal(cgroupV2Only(HYBRID), false);
});

test('crun on a v2-only host that has it, runc otherwise', () => {
  assert.equal(chooseRuntime(true, new Set(['runc', 'crun'])), 'crun');
  assert.equal(chooseRuntime(true, new Set(['runc'])), 'runc');
  assert.equal(chooseRuntime(false, new Set(['runc', 'crun'])), 'runc');
  assert.throws(() => chooseRuntime(false, new Set(['crun'])), /runc is not installed/);
  assert.throws(() => chooseRuntime(true, new Set()), /neither runc nor crun/);
});
