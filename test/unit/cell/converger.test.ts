// The converger runs the reconcilers a change concerns, all of them for a new world, and all of them in
// resync mode on its timer; each runs alone, and requests while it runs cost one more run, not a queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Converger, type Reconciler, type RunMode } from '../../../src/cell/converger.js';
import type { ResourceKind } from '../../../src/model/types.js';

type Name = 'x' | 'y';
const FOLLOWS: Record<ResourceKind, readonly Name[]> = {
  org: [],
  space: [],
  app: ['x', 'y'],
  domain: ['y'],
  route: ['y'],
  policy: ['x'],
  instance: ['x'],
  cell: [],
};

function recorder(opts: { repairs?: number; fail?: boolean; gate?: Promise<void> } = {}) {
  const runs: { name: Name; mode: RunMode }[] = [];
  const make = (name: Name): Reconciler<Name> => ({
    name,
    run: async (mode) => {
      runs.push({ name, mode });
      await opts.gate;
      if (opts.fail && name === 'x') throw new Error('boom');
      return opts.repairs ?? 0;
    },
  });
  const events = { errors: [] as string[], repaired: [] as [string, number][] };
  const converger = new Converger([make('x'), make('y')], FOLLOWS, {
    onError: (name) => events.errors.push(name),
    onRepaired: (name, n) => events.repaired.push([name, n]),
  });
  return { runs, events, converger };
}

test('a change runs only the reconcilers that follow its kind', async () => {
  const { runs, converger } = recorder();
  await converger.changed('policy');
  await converger.changed('route');
  await converger.changed('org');
  assert.deepEqual(runs, [
    { name: 'x', mode: 'change' },
    { name: 'y', mode: 'change' },
  ]);
});

test('a new world runs every reconciler, and a resync runs every one in resync mode', async () => {
  const { runs, converger } = recorder();
  await converger.everything();
  await converger.everything('resync');
  assert.deepEqual(
    runs.map((r) => `${r.name}:${r.mode}`),
    ['x:change', 'y:change', 'x:resync', 'y:resync'],
  );
});

test('requests while a reconciler runs cost one more run, and a resync among them is not lost', async () => {
  let open = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  const { runs, converger } = recorder({ gate });
  const first = converger.changed('policy');
  const more = [converger.changed('policy'), converger.everything('resync'), converger.changed('instance')];
  open();
  await Promise.all([first, ...more]);
  assert.deepEqual(
    runs.filter((r) => r.name === 'x').map((r) => r.mode),
    ['change', 'resync'],
  );
});

test('a failing reconciler is reported and does not stop the others; repairs are reported', async () => {
  const failing = recorder({ fail: true });
  await failing.converger.changed('app');
  assert.deepEqual(failing.events.errors, ['x']);
  assert.equal(failing.runs.filter((r) => r.name === 'y').length, 1);

  const repairing = recorder({ repairs: 2 });
  await repairing.converger.everything('resync');
  assert.deepEqual(repairing.events.repaired, [
    ['x', 2],
    ['y', 2],
  ]);
});

test('the resync timer runs everything in resync mode until stopped', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const { runs, converger } = recorder();
  converger.startResync(60_000);
  t.mock.timers.tick(60_000);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    runs.map((r) => r.mode),
    ['resync', 'resync'],
  );
  converger.stop();
  t.mock.timers.tick(120_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(runs.length, 2);
});

test('a reconciler with a minimum interval turns requests within it into one later run', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const runs: number[] = [];
  const save: Reconciler<Name> = {
    name: 'x',
    minIntervalMs: 1_000,
    run: () => {
      runs.push(Date.now());
      return Promise.resolve(0);
    },
  };
  const converger = new Converger([save], FOLLOWS, { onError: () => {}, onRepaired: () => {} });
  await converger.changed('policy');
  const later = [converger.changed('policy'), converger.changed('instance'), converger.changed('policy')];
  await Promise.resolve();
  t.mock.timers.tick(1_000);
  await Promise.all(later);
  assert.deepEqual(runs, [0, 1_000]);
});
