import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupPlace, childPlace, v2CgroupPath } from '../../../src/runtime/cell-cgroup.js';

test('on a hybrid host nft finds the cgroup under unified/, at its depth in the v2 hierarchy', () => {
  const root = cgroupPlace('/sys/fs/cgroup/unified', '/');
  assert.deepEqual(root, { dir: '/sys/fs/cgroup/unified', path: 'unified', level: 0 });
  assert.deepEqual(childPlace(root, 'weft-cell-weft-1'), {
    dir: '/sys/fs/cgroup/unified/weft-cell-weft-1',
    path: 'unified/weft-cell-weft-1',
    level: 1,
  });
});

test('on a unified host the cell’s cgroup stays inside its systemd service’s', () => {
  const service = cgroupPlace('/sys/fs/cgroup', '/system.slice/weft.service');
  assert.deepEqual(service, {
    dir: '/sys/fs/cgroup/system.slice/weft.service',
    path: 'system.slice/weft.service',
    level: 2,
  });
  assert.deepEqual(childPlace(service, 'weft-cell-weft-1'), {
    dir: '/sys/fs/cgroup/system.slice/weft.service/weft-cell-weft-1',
    path: 'system.slice/weft.service/weft-cell-weft-1',
    level: 3,
  });
  assert.deepEqual(childPlace(cgroupPlace('/sys/fs/cgroup', '/'), 'weft-cell-weft-1'), {
    dir: '/sys/fs/cgroup/weft-cell-weft-1',
    path: 'weft-cell-weft-1',
    level: 1,
  });
});

test('a cgroup v2 mount outside /sys/fs/cgroup is refused: nft would not find it', () => {
  assert.throws(() => cgroupPlace('/mnt/cgroup2', '/'), /outside \/sys\/fs\/cgroup/);
  assert.throws(() => cgroupPlace('/sys/fs/cgroupx', '/'), /outside \/sys\/fs\/cgroup/);
});

test('the v2 line of /proc/self/cgroup names the process’s cgroup; without one there is none', () => {
  const hybrid = '4:memory:/process_api/8ceace8c\n1:cpu:/\n0::/user.slice/session-1.scope\n';
  assert.equal(v2CgroupPath(hybrid), '/user.slice/session-1.scope');
  assert.throws(() => v2CgroupPath('4:memory:/x\n1:cpu:/\n'), /no cgroup v2/);
});
