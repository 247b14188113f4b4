// The cell's pure plans: which instances run here, and what the kernel must hold for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateLocal } from '../../../src/cell/allocation.js';
import { orphanedOutside, planEnforcer, planInstances } from '../../../src/cell/plan.js';
import { PolicyIndex } from '../../../src/cell/policy-index.js';
import { ALLOCATOR, CELL, IDENTITY, OTHER_CELL, app, instance, policy, world } from './world-fixture.js';

test('a cell starts the instances placed on it of started apps, and stops those no longer placed', () => {
  const w = world({
    apps: [app('a', 1), app('stopped', 2, { state: 'STOPPED' })],
    instances: [
      instance('keep', 'a'),
      instance('new', 'a', { index: 1 }),
      instance('elsewhere', 'a', { index: 2, cellId: OTHER_CELL.id }),
      instance('idle', 'stopped'),
    ],
  });
  const keep = allocateLocal(ALLOCATOR, instance('keep', 'a'), app('a', 1), new Set());
  const running = [keep, { ...keep, guid: 'gone', ip: '10.99.1.9' }];
  const plan = planInstances(w, CELL.id, ALLOCATOR, running);
  assert.deepEqual(plan.stop, ['gone']);
  assert.deepEqual(
    plan.start.map((l) => l.guid),
    ['new'],
  );
  assert.notEqual(plan.start[0]?.ip, keep.ip, 'a new instance never takes a running one’s address');
});

test('the kernel plan tags local instances before the control plane knows their address', () => {
  const w = world({ apps: [app('a', 7)], instances: [instance('i', 'a')] });
  const [local] = planInstances(w, CELL.id, ALLOCATOR, []).start;
  const desired = planEnforcer(w, IDENTITY, [local!]);
  assert.deepEqual(desired.tags, [{ ip: local!.ip, tag: 7 }]);
  assert.deepEqual(desired.localInstances, [{ ip: local!.ip, hostIface: local!.hostIface }]);
  assert.ok(desired.proxyForwards.some((f) => f.port === 61443 && f.ip === local!.ip));
});

test('a policy naming an app the cell does not know allows nothing, in the kernel and at the handshake', () => {
  const w = world({
    apps: [app('a', 1), app('b', 2)],
    policies: [policy('a', 'b', 61443), policy('ghost', 'b', 61443), policy('a', 'ghost', 8080)],
  });
  assert.deepEqual(planEnforcer(w, IDENTITY, []).policies, [
    { srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 61443, endPort: 61443 },
  ]);
  const index = new PolicyIndex(() => w);
  assert.equal(index.allows('a', 'b', 'tcp', 61443), true);
  assert.equal(index.allows('ghost', 'b', 'tcp', 61443), false);
  assert.equal(index.allows('b', 'a', 'tcp', 61443), false);
  assert.equal(index.allows('a', 'b', 'udp', 61443), false);
});

test('the callers mutual TLS admits are the apps a policy lets reach the destination on the port', () => {
  const w = world({
    apps: [app('a', 1), app('b', 2), app('c', 3), app('d', 4)],
    policies: [
      policy('a', 'b', 61443),
      policy('c', 'b', 8080),
      policy('d', 'b', 60000, 62000),
      policy('a', 'c', 61443),
    ],
  });
  const index = new PolicyIndex(() => w);
  assert.deepEqual([...index.callersOf('b', 'tcp', 61443)].sort(), ['a', 'd']);
  assert.deepEqual([...index.callersOf('a', 'tcp', 61443)], []);
});

test('the mutual-TLS check follows policy changes as the kernel plan does, ranges included', () => {
  const w = world({ apps: [app('a', 1), app('b', 2)], policies: [policy('a', 'b', 8080)] });
  const index = new PolicyIndex(() => w);
  assert.equal(index.allows('a', 'b', 'tcp', 61443), false);
  w.apply({ revision: 2, kind: 'policy', op: 'put', key: 'k', object: policy('a', 'b', 60000, 62000) });
  assert.equal(index.allows('a', 'b', 'tcp', 61443), true);
  w.apply({ revision: 3, kind: 'policy', op: 'delete', key: 'k', object: null });
  assert.equal(index.allows('a', 'b', 'tcp', 61443), false);
});

test('the kernel plan exempts the cell’s cgroup and takes VXLAN from every other cell’s host, not its own', () => {
  const w = world({
    cells: [CELL, OTHER_CELL, { id: 'cell-3', hostIp: '192.0.2.3', subnet: '10.99.3.0/24' }],
  });
  const desired = planEnforcer(w, IDENTITY, []);
  assert.deepEqual(desired.exemptCgroup, IDENTITY.exemptCgroup);
  assert.deepEqual(desired.peerHosts.sort(), ['192.0.2.2', '192.0.2.3']);
  assert.equal('cellId' in desired, false);
});

test('an outside runtime’s instance starts only while its CNI ADD waits, and is kept while its container runs', () => {
  const w = world({
    apps: [app('a', 1)],
    instances: [instance('own', 'a'), instance('podman', 'a', { index: 10_000, external: true })],
  });
  const container = { containerId: 'c1', netnsPath: '/run/netns/cni-1', ifname: 'eth0' };
  assert.deepEqual(
    planInstances(w, CELL.id, ALLOCATOR, []).start.map((l) => l.guid),
    ['own'],
    'no process of weft’s own for an outside container',
  );
  const waiting = new Map([['podman', container]]);
  const start = planInstances(w, CELL.id, ALLOCATOR, [], waiting).start;
  assert.deepEqual(
    start.map((l) => [l.guid, l.outside]),
    [
      ['own', undefined],
      ['podman', container],
    ],
  );
  assert.notEqual(start[0]?.ip, start[1]?.ip);
  assert.deepEqual(planInstances(w, CELL.id, ALLOCATOR, start).stop, []);
});

test('outside instances the world has here that no longer run and no ADD waits for are orphans', () => {
  const w = world({
    apps: [app('a', 1)],
    instances: [
      instance('own', 'a'),
      instance('running', 'a', { index: 10_000, external: true }),
      instance('joining', 'a', { index: 10_001, external: true }),
      instance('gone', 'a', { index: 10_002, external: true }),
      instance('elsewhere', 'a', { index: 10_003, external: true, cellId: OTHER_CELL.id }),
    ],
  });
  const running = allocateLocal(ALLOCATOR, instance('running', 'a'), app('a', 1), new Set());
  const waiting = new Map([['joining', { containerId: 'c', netnsPath: '/run/netns/c', ifname: 'eth0' }]]);
  assert.deepEqual(orphanedOutside(w, CELL.id, [running], waiting), ['gone']);
});
