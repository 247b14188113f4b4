import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allCgroupMounts, cgroupMountsFromMountinfo } from '../../../src/runtime/cgroup.js';

test('finds the v1 memory hierarchy and the v2 mounts of a hybrid host', () => {
  const mountinfo = [
    '23 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  assert.deepEqual(cgroupMountsFromMountinfo(mountinfo), {
    v2: ['/sys/fs/cgroup/unified'],
    v1Memory: '/sys/fs/cgroup/memory',
  });
});

test('finds the single v2 hierarchy of a unified host', () => {
  const mountinfo =
    '30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n';
  assert.deepEqual(cgroupMountsFromMountinfo(mountinfo), { v2: ['/sys/fs/cgroup'], v1Memory: undefined });
});

test('lists every hierarchy where the runtime makes a container cgroup: each v1 controller, named ones and v2', () => {
  const mountinfo = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu',
    '33 31 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    '50 23 0:40 / /run/weft rw,relatime - tmpfs cgroup rw',
  ].join('\n');
  assert.deepEqual(allCgroupMounts(mountinfo), [
    '/sys/fs/cgroup/cpu',
    '/sys/fs/cgroup/systemd',
    '/sys/fs/cgroup/unified',
  ]);
});
