// 3. First-packet cost: TCP connect latency between two containers with 0 vs 100k policies in the kernel,
// weft's nft table against a 100k-rule CF-style iptables chain.
import { fileURLToPath } from 'node:url';
import { Enforcer } from '../src/enforcer/enforcer.js';
import { SERVER_PORT, makeCell, pairPolicy, syntheticPolicies } from './lib/cell.js';
import type { BenchCell } from './lib/cell.js';
import type { Scope } from './lib/cleanup.js';
import { IptablesRuleset } from './lib/iptables.js';
import { sh } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentile, summarize } from './lib/stats.js';

const APPS = 1000;
const LOOP = fileURLToPath(new URL('./child/connect-loop.ts', import.meta.url));

type Config = 'weft-0' | 'weft-100k' | 'iptables-100k';

/** Installs one configuration and returns its undo. */
async function install(scope: Scope, c: BenchCell, config: Config): Promise<() => Promise<void>> {
  if (config === 'iptables-100k') {
    const rules = new IptablesRuleset('legacy', `f${process.pid.toString(36)}`);
    const d = c.desired('unused', APPS, syntheticPolicies(APPS, 100_000));
    await rules.restore(scope, rules.render(d, pairPolicy));
    await rules.hook(c.cell.ifacePrefix);
    return () => rules.remove();
  }
  const table = `wbfirst${process.pid}`;
  const enforcer = new Enforcer({ table });
  scope.defer(`nft table ${table}`, () => enforcer.remove());
  const background = config === 'weft-100k' ? syntheticPolicies(APPS, 100_000) : [];
  await enforcer.apply(c.desired(table, APPS, [...background, pairPolicy]));
  return () => enforcer.remove();
}

/** Per-connection latencies (µs) of `count` sequential connects from a to b. */
export async function connectLoop(c: BenchCell, count: number): Promise<number[]> {
  await c.ensureForwarding();
  const out = await sh('ip', [
    'netns',
    'exec',
    c.a.ns,
    process.execPath,
    '--import',
    'tsx',
    LOOP,
    c.b.ip,
    String(SERVER_PORT),
    String(count),
  ]);
  return JSON.parse(out) as number[];
}

export const firstPacket: Scenario = {
  id: '3',
  title: 'First-packet cost: new-connection latency with 0 vs 100k policies',
  method: `
Same two-container cell as scenario 2. A Node client inside container a opens TCP connections to b:8080 one
after another (after 100 warm-up connects; each ends with a reset so no TIME_WAIT piles up) and times
SYN → handshake complete; only the SYN of each flow walks the policy rules, the rest is conntrack.
Configurations, measured in alternating rounds: weft with only the a→b policy, weft with 100k more policies
(1,000 apps), and the CF-style iptables-legacy ruleset with the same 100k + 1 rules (a→b's rule in the
middle of the chain, the average position). Per round the p50 and p99 connect latency; the figure is the
median over rounds with its range.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 2 : 5;
    const count = mode.quick ? 1500 : 4000;
    const c = await makeCell(scope, `f${process.pid.toString(36)}`);
    const configs: Config[] = ['weft-0', 'weft-100k', 'iptables-100k'];
    const p50: Record<Config, number[]> = { 'weft-0': [], 'weft-100k': [], 'iptables-100k': [] };
    const p99: Record<Config, number[]> = { 'weft-0': [], 'weft-100k': [], 'iptables-100k': [] };
    for (let r = 0; r < rounds; r++) {
      for (const config of configs) {
        const undo = await install(scope, c, config);
        const lat = (await connectLoop(c, count)).sort((x, y) => x - y);
        await undo();
        p50[config].push(percentile(lat, 50));
        p99[config].push(percentile(lat, 99));
      }
    }
    const w0 = summarize(p50['weft-0']).median;
    const w100 = summarize(p50['weft-100k']).median;
    figures.push({
      metric: 'connect latency p50, 0 policies (reference)',
      unit: 'µs',
      better: 'lower',
      weft: summarize(p50['weft-0']),
    });
    figures.push({
      metric: 'connect latency p50, 100k policies',
      unit: 'µs',
      better: 'lower',
      weft: summarize(p50['weft-100k']),
      peer: { name: 'iptables-legacy 100k rules', value: summarize(p50['iptables-100k']) },
      target: { text: 'within 10% of weft at 0', met: w100 <= w0 * 1.1 },
      note: `weft at 100k is ${fmt(((w100 - w0) / w0) * 100)}% off weft at 0 (p50)`,
    });
    figures.push({
      metric: 'connect latency p99, 100k policies',
      unit: 'µs',
      better: 'lower',
      weft: summarize(p99['weft-100k']),
      peer: { name: 'iptables-legacy 100k rules', value: summarize(p99['iptables-100k']) },
      note: `weft at 0: p99 ${fmt(summarize(p99['weft-0']).median)} µs`,
    });
  },
};
