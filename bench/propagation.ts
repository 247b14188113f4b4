// 2. Policy propagation in the kernel: one more policy applied as a delta → first connection on the newly
// allowed pair, with N policies already in place; against a CF-style iptables-restore of the whole chain.
import { Enforcer } from '../src/enforcer/enforcer.js';
import { connects, makeCell, pairPolicy, syntheticPolicies, untilConnects } from './lib/cell.js';
import type { BenchCell } from './lib/cell.js';
import type { Scope } from './lib/cleanup.js';
import { IptablesRuleset } from './lib/iptables.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentile, summarize } from './lib/stats.js';

const APPS = 1000;

interface Samples {
  total: number[];
  apply: number[];
}

async function weftSamples(scope: Scope, c: BenchCell, size: number, samples: number): Promise<Samples> {
  const table = `wbprop${process.pid}`;
  const enforcer = new Enforcer({ table });
  scope.defer(`nft table ${table}`, () => enforcer.remove());
  const background = syntheticPolicies(APPS, size);
  const base = c.desired(table, APPS, background);
  const withPair = c.desired(table, APPS, [...background, pairPolicy]);
  await enforcer.apply(base);
  if (await connects(c)) throw new Error('a reaches b before the policy exists: the cell is not enforcing');
  const out: Samples = { total: [], apply: [] };
  for (let i = 0; i < samples; i++) {
    await c.ensureForwarding();
    const t0 = performance.now();
    await enforcer.apply(withPair);
    out.apply.push(performance.now() - t0);
    out.total.push(await untilConnects(c, t0));
    await enforcer.apply(base);
  }
  await enforcer.remove();
  return out;
}

async function iptablesSamples(scope: Scope, c: BenchCell, size: number, samples: number): Promise<Samples> {
  const rules = new IptablesRuleset('legacy', `p${process.pid.toString(36)}`);
  const desired = (withPair: boolean) => {
    const d = c.desired('unused', APPS, syntheticPolicies(APPS, size));
    return rules.render(d, withPair ? pairPolicy : undefined);
  };
  await rules.restore(scope, desired(false));
  await rules.hook(c.cell.ifacePrefix);
  if (await connects(c)) throw new Error('a reaches b before the iptables rule exists');
  const out: Samples = { total: [], apply: [] };
  for (let i = 0; i < samples; i++) {
    await c.ensureForwarding();
    // Rendering counts too: CF's agent renders the whole ruleset every poll, as weft plans its delta.
    const t0 = performance.now();
    await rules.restore(scope, desired(true));
    out.apply.push(performance.now() - t0);
    out.total.push(await untilConnects(c, t0));
    await rules.restore(scope, desired(false));
  }
  await rules.remove();
  return out;
}

function p(values: number[], q: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    q,
  );
}

export const propagation: Scenario = {
  id: '2',
  title: 'Policy propagation: policy applied → first connection on the new pair',
  method: `
Two containers (network namespaces with veths, routed through the host as the enforcer expects, built with
test/integration/enforcer/topology.ts) plus 1,000 synthetic apps in the tag map, with N policies already in
place. weft: \`Enforcer.apply()\` with one more policy (a → b tcp/8080, a delta: planApply plus one small
\`nft -f\`), then one-shot connects from a to b (25 ms timeout each) until one succeeds; the figure is the
time from the start of apply to that success. Between samples the policy is removed again (untimed).

Peer: CF's agent regenerates and reloads its whole ruleset: render + \`iptables-legacy-restore --noflush\` of
all chains with the new rule in the middle, then the same connect loop. This is the best case for CF:
its agent polls the policy server every 5 s, so in practice 0–5 s (2.5 s on average) come on top of the
figure. weft's own path from the API to the cell is a streamed change, not a poll (see scenario 9).`,

  async run(mode, scope, figures) {
    const sizes = mode.quick ? [0, 10_000] : [0, 1000, 10_000, 100_000];
    const samples = mode.quick ? 20 : 30;
    const c = await makeCell(scope, `p${process.pid.toString(36)}`);
    for (const size of sizes) {
      const weft = await weftSamples(scope, c, size, size === 100_000 ? Math.min(samples, 20) : samples);
      const peer = await iptablesSamples(scope, c, size, size === 100_000 ? Math.min(samples, 20) : samples);
      const label = size === 0 ? '0' : `${size / 1000}k`;
      const at10k = size === 10_000;
      const fig = (q: number): Figure => ({
        metric: `propagation p${q}, ${label} policies in place`,
        unit: 'ms',
        better: 'lower',
        weft: { ...summarize(weft.total), median: p(weft.total, q) },
        peer: {
          name: 'iptables-legacy-restore (+0–5 s CF poll)',
          value: { ...summarize(peer.total), median: p(peer.total, q) },
        },
      });
      const p50 = fig(50);
      const p99 = fig(99);
      if (at10k) p99.target = { text: 'p99 ≤ 100 ms at 10k', met: p(weft.total, 99) <= 100 };
      p50.note = `of which apply() p50 ${fmt(p(weft.apply, 50))} ms (peer's restore p50 ${fmt(p(peer.apply, 50))} ms)`;
      figures.push(p50, p99);
    }
  },
};
