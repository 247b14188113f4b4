import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mountedAtOrUnder, mountPointsOf } from '../../../src/runtime/mountinfo.js';

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/root rw',
  '90 22 0:50 / /var/lib/weft/bundles/abc/layer rw,nosuid,nodev - tmpfs weft-layer rw,size=1048576k',
  '91 22 0:51 / /var/lib/weft/bundles/abc/rootfs rw - overlay weft-rootfs rw,lowerdir=/s',
  '92 22 0:52 / /mnt/with\\040space rw - tmpfs none rw',
  '',
].join('\n');

test('mount points are read from the fifth field, with octal escapes decoded', () => {
  assert.deepEqual(mountPointsOf(MOUNTINFO), [
    '/',
    '/var/lib/weft/bundles/abc/layer',
    '/var/lib/weft/bundles/abc/rootfs',
    '/mnt/with space',
  ]);
});

test('a directory counts as mounted when it or a path below it is a mount point', () => {
  const points = mountPointsOf(MOUNTINFO);
  assert.equal(mountedAtOrUnder(points, '/var/lib/weft/bundles/abc/rootfs'), true);
  assert.equal(mountedAtOrUnder(points, '/var/lib/weft/bundles/abc'), true);
  assert.equal(mountedAtOrUnder(points, '/var/lib/weft/bundles/abc/'), true);
});

test('a directory that only shares a prefix with a mount point is not mounted', () => {
  const points = mountPointsOf(MOUNTINFO);
  assert.equal(mountedAtOrUnder(points, '/var/lib/weft/bundles/ab'), false);
  assert.equal(mountedAtOrUnder(points, '/var/lib/weft/bundles/abc/rootfs2'), false);
  assert.equal(mountedAtOrUnder(points, '/run/weft-rootfs/abc'), false);
});
