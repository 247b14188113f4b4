// The cell's copy of the world: changes apply once and in order, replays after a reconnect are ignored,
// and a snapshot taken from it is the world again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../../src/cell/world.js';
import { app, instance, policy, world } from './world-fixture.js';

test('a change applies once; a replay of an older revision is ignored', () => {
  const w = world({ apps: [app('a', 1)] });
  const renamed = {
    revision: 2,
    kind: 'app' as const,
    op: 'put' as const,
    key: 'a',
    object: app('a', 1, { name: 'b' }),
  };
  assert.equal(w.apply(renamed), true);
  assert.equal(w.tables.app.get('a')?.name, 'b');
  assert.equal(w.apply({ ...renamed, object: app('a', 1, { name: 'old' }) }), false);
  assert.equal(w.tables.app.get('a')?.name, 'b');
  assert.equal(w.apply({ revision: 3, kind: 'app', op: 'delete', key: 'a', object: null }), true);
  assert.equal(w.tables.app.size, 0);
  assert.equal(w.revision, 3);
});

test('policies are keyed by their whole content, so two on different ports both stay', () => {
  const w = world({ policies: [policy('a', 'b', 8080), policy('a', 'b', 9000)] });
  assert.equal(w.tables.policy.size, 2);
});

test('a world rebuilt from its own snapshot is the same world', () => {
  const w = world({ apps: [app('a', 1)], instances: [instance('i', 'a')], policies: [policy('a', 'a', 1)] });
  assert.deepEqual(new World(w.toSnapshot()).toSnapshot(), w.toSnapshot());
});
