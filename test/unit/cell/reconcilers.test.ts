// The cell's reconcilers against fakes of the parts they drive: what each does on a change, on a new
// world and on a resync, and which changes reach which of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Converger } from '../../../src/cell/converger.js';
import type { LocalInstance } from '../../../src/cell/local.js';
import { cellReconcilers, FOLLOWS, type CellParts } from '../../../src/cell/reconcilers.js';
import type { EnforcerDesired } from '../../../src/enforcer/desired.js';
import type { HostSideState } from '../../../src/network/container-network.js';
import type { ResourceKind } from '../../../src/model/types.js';
import type { World } from '../../../src/cell/world.js';
import { ALLOCATOR, IDENTITY, app, instance, world } from './world-fixture.js';

function fakeParts(w: World) {
  const log: string[] = [];
  const running = new Map<string, LocalInstance>();
  const network = new Map<string, HostSideState>();
  let drifted = false;
  const parts: CellParts = {
    identity: IDENTITY,
    allocator: ALLOCATOR,
    world: () => w,
    kernel: {
      apply: (d: EnforcerDesired) => {
        log.push(`kernel ${d.localInstances.length}`);
        return Promise.resolve();
      },
      repair: () => {
        log.push('kernel repair');
        const was = drifted;
        drifted = false;
        return Promise.resolve(was);
      },
    },
    overlay: {
      sync: (remotes) => {
        log.push(`overlay ${remotes.map((r) => r.hostIp).join(',')}`);
        return Promise.resolve();
      },
    },
    dns: { setZone: () => void log.push('dns') },
    instances: {
      locals: () => [...running.values()],
      outsideWaiting: () => new Map(),
      leave: (guid) => {
        log.push(`leave ${guid}`);
        return Promise.resolve();
      },
      start: (l) => {
        log.push(`start ${l.guid}`);
        running.set(l.guid, l);
        return Promise.resolve();
      },
      stop: (guid) => {
        log.push(`stop ${guid}`);
        running.delete(guid);
        return Promise.resolve();
      },
      refreshAll: () => {
        log.push('refresh');
        return Promise.resolve();
      },
      check: (guid) => Promise.resolve(network.get(guid) ?? 'intact'),
    },
    saveWorld: () => {
      log.push('save');
      return Promise.resolve();
    },
    applyKernel: () => {
      log.push('apply kernel');
      return Promise.resolve();
    },
  };
  const converger = new Converger(cellReconcilers(parts), FOLLOWS, {
    onError: (name, err) => log.push(`error ${name} ${String(err)}`),
    onRepaired: (name, n) => log.push(`repaired ${name} ${n}`),
  });
  return { parts, log, running, network, converger, drift: () => (drifted = true) };
}

test('every kind of change reaches the saved world, and each part hears the kinds that shape it', () => {
  for (const kind of Object.keys(FOLLOWS) as ResourceKind[]) {
    assert.ok(FOLLOWS[kind].includes('savedWorld'), kind);
  }
  assert.deepEqual(
    (Object.keys(FOLLOWS) as ResourceKind[]).filter((k) => FOLLOWS[k].includes('kernel')).sort(),
    ['app', 'cell', 'instance', 'policy'],
  );
  assert.deepEqual(
    // A policy decides which callers mutual TLS admits, which the proxy holds as a list per instance.
    (Object.keys(FOLLOWS) as ResourceKind[]).filter((k) => FOLLOWS[k].includes('certificates')).sort(),
    ['app', 'domain', 'instance', 'policy', 'route'],
  );
});

test('a new world (a re-snapshot) refreshes certificates and mutual TLS along with everything else', async () => {
  const { log, converger } = fakeParts(world({ apps: [app('a', 1)] }));
  await converger.everything();
  for (const part of ['overlay 192.0.2.2', 'kernel 0', 'dns', 'refresh', 'save']) {
    assert.ok(log.includes(part), `${part} in ${log.join('; ')}`);
  }
});

test('the instances reconciler stops what left, takes it out of the kernel, then starts what came', async () => {
  const w = world({ apps: [app('a', 1)], instances: [instance('one', 'a')] });
  const fake = fakeParts(w);
  await fake.converger.kick('instances');
  assert.deepEqual(fake.log, ['start one']);
  fake.log.length = 0;
  w.apply({ revision: 2, kind: 'instance', op: 'delete', key: 'one', object: null });
  w.apply({
    revision: 3,
    kind: 'instance',
    op: 'put',
    key: 'two',
    object: instance('two', 'a', { index: 1 }),
  });
  await fake.converger.kick('instances');
  assert.deepEqual(fake.log, ['stop one', 'apply kernel', 'start two']);
});

test('a resync puts back a missing route, remakes an instance whose wiring is gone, and counts both', async () => {
  const w = world({
    apps: [app('a', 1)],
    instances: [instance('one', 'a'), instance('two', 'a', { index: 1 })],
  });
  const fake = fakeParts(w);
  await fake.converger.kick('instances');
  fake.network.set('one', 'repaired');
  fake.network.set('two', 'gone');
  fake.log.length = 0;
  await fake.converger.everything('resync');
  assert.ok(fake.log.includes('stop two'));
  assert.ok(fake.log.includes('start two'));
  assert.ok(!fake.log.includes('stop one'));
  assert.ok(fake.log.includes('repaired instances 2'));
});

test('the kernel reconciler asks the enforcer to repair only on a resync, and counts a rebuild', async () => {
  const fake = fakeParts(world({ apps: [app('a', 1)] }));
  await fake.converger.kick('kernel');
  assert.ok(!fake.log.includes('kernel repair'));
  await fake.converger.everything('resync');
  assert.ok(fake.log.includes('kernel repair'));
  assert.ok(!fake.log.some((l) => l.startsWith('repaired kernel')));
  fake.drift();
  await fake.converger.everything('resync');
  assert.ok(fake.log.includes('repaired kernel 1'));
});
