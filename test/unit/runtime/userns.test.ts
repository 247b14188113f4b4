import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostId } from '../../../src/runtime/container-spec.js';
import { ancestors, slotUserns, USERNS_SIZE } from '../../../src/runtime/userns.js';

test("each slot's block of host ids is its own: no two overlap, none is root's or a low host id", () => {
  const blocks = [0, 1, 2, 253, 254, 255].map(slotUserns);
  for (const [i, a] of blocks.entries()) {
    assert.ok(a.hostBase >= 2 ** 30);
    assert.equal(a.size, USERNS_SIZE);
    for (const b of blocks.slice(i + 1)) assert.ok(a.hostBase + a.size <= b.hostBase);
  }
  assert.throws(() => slotUserns(-1));
  assert.throws(() => slotUserns(2 ** 14));
});

test('a container id maps into its block; without a user namespace it is the host id', () => {
  const block = slotUserns(3);
  assert.equal(hostId(block, 40_003), block.hostBase + 40_003);
  assert.equal(hostId(null, 40_003), 40_003);
});

test('the directories above a path, from the root down', () => {
  assert.deepEqual(ancestors('/var/lib/weft/cell'), ['/', '/var', '/var/lib', '/var/lib/weft']);
  assert.deepEqual(ancestors('/x'), ['/']);
});
