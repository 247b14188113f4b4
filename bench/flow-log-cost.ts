// 3b. What the flow log costs: first-packet latency and propagation with denied-flow logging on and off,
// on the same cell in alternating rounds, with ulogd2 reading the NFLOG group as on a real cell and the
// source trying a port no policy allows all the while.
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Enforcer } from '../src/enforcer/enforcer.js';
import type { EnforcerDesired } from '../src/enforcer/desired.js';
import { findUlogdPlugins, FlowLog } from '../src/flows/flow-log.js';
import { makeCell, pairPolicy, syntheticPolicies, untilConnects, type BenchCell } from './lib/cell.js';
import { connectLoop } from './first-packet.js';
import { daemon, tempDir } from './lib/proc.js';
import { fmt, type Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentile, summarize } from './lib/stats.js';

const APPS = 1000;
const POLICIES = 10_000;
/** A port of b no policy allows: the background's attempts are all denied (and logged when on). */
const DENIED_PORT = 9;
const DENY_LOAD = fileURLToPath(new URL('./child/deny-load.ts', import.meta.url));

type Config = 'off' | 'on';

interface Round {
  p50: number;
  p99: number;
  propagation: number[];
}

async function measure(
  c: BenchCell,
  enforcer: Enforcer,
  d: EnforcerDesired,
  base: EnforcerDesired,
  mode: { count: number; samples: number },
): Promise<Round> {
  await enforcer.apply(d);
  const lat = (await connectLoop(c, mode.count)).sort((x, y) => x - y);
  const propagation: number[] = [];
  for (let i = 0; i < mode.samples; i++) {
    await enforcer.apply(base);
    await c.ensureForwarding();
    const t0 = performance.now();
    await enforcer.apply(d);
    propagation.push(await untilConnects(c, t0));
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), propagation };
}

export const flowLogCost: Scenario = {
  id: '3b',
  title: 'Flow log cost: first-packet latency and propagation with denied-flow logging on vs off',
  method: `
The cell of scenarios 2 and 3 with ${POLICIES / 1000}k policies (1,000 apps) plus a → b tcp/8080. In the background a process in
container a tries b:${DENIED_PORT}, which no policy allows, one attempt after another (each given up after 5 ms), in both
configurations. "on": the check_policy chain copies each denied new flow to an NFLOG group (20/s per source,
burst 40), read by ulogd2 and the cell's flow-log reader exactly as a cell runs it; "off": the same table
without the log statement. Alternating rounds; per round the connect-latency p50 and p99 of scenario 3's
loop, and the propagation of scenario 2 (apply the a → b policy → first connection). Allowed flows never
reach the log statement: it sits after every accept.`,

  async run(mode, scope, figures) {
    const pluginDir = findUlogdPlugins();
    if (pluginDir === null)
      throw new Error('ulogd2 and ulogd2-json are not installed (scripts/setup installs them)');
    const rounds = mode.quick ? 2 : 4;
    const run = { count: mode.quick ? 1500 : 3000, samples: mode.quick ? 10 : 20 };
    const c = await makeCell(scope, `l${process.pid.toString(36)}`);
    const table = `wbflow${process.pid}`;
    const enforcer = new Enforcer({ table });
    scope.defer(`nft table ${table}`, () => enforcer.remove());
    const group = 40_000 + (process.pid % 20_000);
    let logged = 0;
    const flowLog = new FlowLog(
      { group, dir: tempDir(scope, 'weft-bench-flows-'), pluginDir },
      { reportFlows: (flows) => Promise.resolve(void (logged += flows.length)) },
      pino({ level: 'warn' }),
    );
    scope.defer('flow log', () => flowLog.stop());
    await flowLog.start();
    const background = syntheticPolicies(APPS, POLICIES);
    const off = c.desired(table, APPS, [...background, pairPolicy]);
    const on: EnforcerDesired = { ...off, flowLog: { group, perSourcePerSecond: 20 } };
    const baseOf = (d: EnforcerDesired): EnforcerDesired => ({
      ...c.desired(table, APPS, background),
      ...(d.flowLog ? { flowLog: d.flowLog } : {}),
    });
    await c.ensureForwarding();
    daemon(scope, 'ip', [
      'netns',
      'exec',
      c.a.ns,
      process.execPath,
      '--import',
      'tsx',
      DENY_LOAD,
      c.b.ip,
      String(DENIED_PORT),
    ]);
    const results: Record<Config, Round[]> = { off: [], on: [] };
    for (let r = 0; r < rounds; r++) {
      for (const config of ['off', 'on'] as const) {
        const d = config === 'on' ? on : off;
        results[config].push(await measure(c, enforcer, d, baseOf(d), run));
      }
    }
    const series = (config: Config, pick: (r: Round) => number) => summarize(results[config].map(pick));
    const p99Of = (r: Round) =>
      percentile(
        [...r.propagation].sort((x, y) => x - y),
        99,
      );
    const compare = (metric: string, unit: string, pick: (r: Round) => number): Figure => {
      const onS = series('on', pick);
      const offS = series('off', pick);
      return {
        metric,
        unit,
        better: 'lower',
        weft: onS,
        peer: { name: 'weft, flow log off', value: offS },
        target: { text: 'on ≤ 1.10× off', met: onS.median <= offS.median * 1.1 },
        note: `on is ${fmt(((onS.median - offS.median) / offS.median) * 100)}% off "off"`,
      };
    };
    figures.push(
      compare(`connect latency p50, ${POLICIES / 1000}k policies, flow log on`, 'µs', (r) => r.p50),
      compare(`connect latency p99, ${POLICIES / 1000}k policies, flow log on`, 'µs', (r) => r.p99),
      compare(`propagation p99, ${POLICIES / 1000}k policies, flow log on`, 'ms', p99Of),
    );
    const last = figures.at(-1);
    if (last) last.note = `${last.note ?? ''}; denied flows logged meanwhile: ${logged}`;
  },
};
