// The enforcer's choice of script, against a kernel that only records: no root, no nft.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Enforcer, type EnforcerKernel } from '../../../src/enforcer/enforcer.js';
import type { EnforcerDesired } from '../../../src/enforcer/desired.js';
import { elementsOf, type EnforcerElements } from '../../../src/enforcer/elements.js';
import type { LiveTable } from '../../../src/enforcer/drift.js';
import type { Flow } from '../../../src/enforcer/flows.js';
import { sampleDesired } from './fixture.js';

/** Records every script; a script matching `refuse` fails once, as the kernel refuses a transaction. */
class RecordingKernel implements EnforcerKernel {
  readonly scripts: string[] = [];
  flowListings = 0;
  refuse: RegExp | null = null;
  failFlowListing = false;
  flows: Flow[] = [];

  applyScript(script: string): Promise<void> {
    if (this.refuse?.test(script)) {
      this.refuse = null;
      return Promise.reject(new Error('nft: Could not process rule'));
    }
    this.scripts.push(script);
    return Promise.resolve();
  }

  deleteTable(): Promise<void> {
    return Promise.resolve();
  }

  listElements(): Promise<EnforcerElements> {
    return Promise.reject(new Error('not used here'));
  }

  /** What readTable answers: the table as the kernel holds it now. */
  live: LiveTable | null = null;

  readTable(): Promise<LiveTable | null> {
    return Promise.resolve(this.live);
  }

  listFlows(): Promise<Flow[]> {
    this.flowListings += 1;
    if (this.failFlowListing) {
      this.failFlowListing = false;
      return Promise.reject(new Error('conntrack: operation failed'));
    }
    return Promise.resolve(this.flows);
  }

  deleteFlows(): Promise<void> {
    return Promise.resolve();
  }

  /** What each script since the last call was: a whole table, or element changes. */
  takeKinds(): ('ruleset' | 'delta')[] {
    const kinds = this.scripts.map((s) =>
      /^table inet \S+ \{\}\ndelete table/.test(s) ? 'ruleset' : 'delta',
    );
    this.scripts.length = 0;
    return kinds;
  }
}

function withTags(count: number): EnforcerDesired {
  const tags = Array.from({ length: count }, (_, i) => ({
    ip: `10.99.${100 + (i >> 8)}.${i & 255}`,
    tag: 1000 + i,
  }));
  const d = sampleDesired();
  return { ...d, tags: [...d.tags, ...tags] };
}

function setup(): { kernel: RecordingKernel; enforcer: Enforcer; warnings: string[] } {
  const kernel = new RecordingKernel();
  const warnings: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (_o: unknown, msg?: string) => warnings.push(msg ?? ''),
  };
  const enforcer = new Enforcer({ table: sampleDesired().table, logger, kernel });
  return { kernel, enforcer, warnings };
}

test('the first apply builds the whole table', async () => {
  const { kernel, enforcer } = setup();
  await enforcer.apply(sampleDesired());
  assert.deepEqual(kernel.takeKinds(), ['ruleset']);
});

test('a change to a structural input rebuilds the table', async () => {
  const { kernel, enforcer } = setup();
  await enforcer.apply(sampleDesired());
  kernel.takeKinds();
  await enforcer.apply(sampleDesired({ gatewayIp: '10.99.1.254' }));
  assert.deepEqual(kernel.takeKinds(), ['ruleset']);
});

test('growth within the room of the last build is a delta', async () => {
  const { kernel, enforcer } = setup();
  await enforcer.apply(withTags(10));
  kernel.takeKinds();
  await enforcer.apply(withTags(600));
  assert.match(kernel.scripts.join(''), /^add element inet \S+ tags \{ [^\n]+ \}\n$/);
  assert.deepEqual(kernel.takeKinds(), ['delta']);
});

test('a state that outgrows the sets of the last full build rebuilds, however it grew since', async () => {
  const { kernel, enforcer, warnings } = setup();
  // Built with room for 1024 tags: 600 fits, 1,500 does not, even though 600 alone would size a set at 2048.
  await enforcer.apply(withTags(10));
  await enforcer.apply(withTags(600));
  kernel.takeKinds();
  await enforcer.apply(withTags(1500));
  assert.deepEqual(kernel.takeKinds(), ['ruleset']);
  assert.deepEqual(warnings, []);
});

test('the room after a rebuild is that of the rebuild', async () => {
  const { kernel, enforcer } = setup();
  await enforcer.apply(withTags(10));
  await enforcer.apply(withTags(1500));
  kernel.takeKinds();
  await enforcer.apply(withTags(2000));
  assert.deepEqual(kernel.takeKinds(), ['delta']);
});

test('nothing changed sends no script', async () => {
  const { kernel, enforcer } = setup();
  await enforcer.apply(sampleDesired());
  kernel.takeKinds();
  await enforcer.apply(sampleDesired());
  assert.deepEqual(kernel.takeKinds(), []);
});

test('a delta the kernel refuses is followed by a rebuild', async () => {
  const { kernel, enforcer, warnings } = setup();
  await enforcer.apply(sampleDesired());
  kernel.takeKinds();
  kernel.refuse = /^add element/;
  await enforcer.apply(withTags(5));
  assert.deepEqual(kernel.takeKinds(), ['ruleset']);
  assert.deepEqual(warnings, ['enforcer: delta failed, rebuilding table']);
});

test('a conntrack sweep that failed is retried on the next apply, even with nothing to change', async () => {
  const { kernel, enforcer } = setup();
  await enforcer.apply(sampleDesired());
  const removed = sampleDesired({ policies: sampleDesired().policies.slice(1) });
  kernel.failFlowListing = true;
  const before = kernel.flowListings;
  await assert.rejects(enforcer.apply(removed), /conntrack/);
  await enforcer.apply(removed);
  assert.equal(kernel.flowListings, before + 2);
  await enforcer.apply(removed);
  assert.equal(kernel.flowListings, before + 2, 'once it succeeded, an unchanged state needs no sweep');
});

test('a resync takes the rules it first reads after a build as theirs, and rebuilds a table that drifts or goes', async () => {
  const { kernel, enforcer } = setup();
  const desired = sampleDesired();
  await enforcer.apply(desired);
  kernel.takeKinds();
  kernel.live = { elements: elementsOf(desired), rules: 'rules' };
  assert.equal(await enforcer.repair(), false);
  assert.equal(await enforcer.repair(), false);
  assert.deepEqual(kernel.takeKinds(), []);
  kernel.live = { elements: elementsOf(desired), rules: 'a rule flushed' };
  assert.equal(await enforcer.repair(), true);
  kernel.live = { elements: { ...elementsOf(desired), tags: [] }, rules: 'rules' };
  assert.equal(await enforcer.repair(), true);
  kernel.live = null;
  assert.equal(await enforcer.repair(), true);
  assert.deepEqual(kernel.takeKinds(), ['ruleset', 'ruleset', 'ruleset']);
});

test('a resync whose reading an apply overtook judges nothing and rebuilds nothing', async () => {
  const { kernel, enforcer } = setup();
  const desired = sampleDesired();
  await enforcer.apply(desired);
  kernel.takeKinds();
  kernel.live = null;
  const repaired = enforcer.repair();
  await enforcer.apply(withTags(3));
  assert.equal(await repaired, false);
  assert.deepEqual(kernel.takeKinds(), ['delta']);
});

test('each apply is reported with its kind and time, and held() counts what the kernel enforces', async () => {
  const kernel = new RecordingKernel();
  const reports: [string, number][] = [];
  const enforcer = new Enforcer({
    table: sampleDesired().table,
    kernel,
    onApplied: (kind, seconds) => reports.push([kind, seconds]),
  });
  assert.deepEqual(enforcer.held(), { policies: 0, localInstances: 0 });
  const d = sampleDesired();
  await enforcer.apply(d);
  await enforcer.apply({ ...d, policies: d.policies.slice(1) });
  await enforcer.apply({ ...d, policies: d.policies.slice(1) });
  await enforcer.apply({ ...d, gatewayIp: '10.99.1.254' });
  assert.deepEqual(
    reports.map(([kind]) => kind),
    ['build', 'delta', 'nothing', 'rebuild'],
  );
  assert.ok(reports.every(([, s]) => s >= 0 && s < 60));
  assert.deepEqual(enforcer.held(), { policies: d.policies.length, localInstances: d.localInstances.length });
});
