// `npm run bench [-- --quick] [-- --only 1,4]`: runs the scenarios in order, prints each figure beside its
// peer, and writes docs/benchmarks.md. Root only: scenarios build namespaces, nft tables and iptables chains.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { bulk } from './bulk.js';
import { propagation } from './propagation.js';
import { propagationE2e } from './propagation-e2e.js';
import { propagationCrossHost } from './propagation-cross-host.js';
import { firstPacket } from './first-packet.js';
import { flowLogCost } from './flow-log-cost.js';
import { tlsProxy } from './tls-proxy.js';
import { proxyMemory } from './proxy-memory.js';
import { dns } from './dns.js';
import { certUpdate } from './cert-update.js';
import { containerStart } from './container-start.js';
import { controlPlane } from './control-plane.js';
import { fanout } from './fanout.js';
import { daemonStart } from './daemon-start.js';
import { reschedule } from './reschedule.js';
import { installSignalCleanup, withScope } from './lib/cleanup.js';
import { machineFacts, versions } from './lib/machine.js';
import { markdown, printScenario } from './lib/report.js';
import type { Figure, ScenarioResult } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';

const SCENARIOS: Scenario[] = [
  bulk,
  propagation,
  propagationE2e,
  propagationCrossHost,
  firstPacket,
  flowLogCost,
  tlsProxy,
  proxyMemory,
  dns,
  certUpdate,
  containerStart,
  controlPlane,
  fanout,
  daemonStart,
  reschedule,
];
function parseArgs(argv: string[]): { quick: boolean; only: Set<string> | null } {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--only');
  const only = at >= 0 ? new Set((argv[at + 1] ?? '').split(',')) : null;
  return { quick, only };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('the benchmark builds namespaces and firewall rules: run it as root');
  installSignalCleanup();
  const { quick, only } = parseArgs(process.argv.slice(2));
  const loadBefore = os.loadavg()[0] ?? NaN;
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS.filter((x) => only === null || only.has(x.id))) {
    console.log(`\n-- ${s.id}. ${s.title} ...`);
    const figures: Figure[] = [];
    const started = performance.now();
    let error: string | undefined;
    try {
      await withScope((scope) => s.run({ quick }, scope, figures));
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const result: ScenarioResult = {
      id: s.id,
      title: s.title,
      method: s.method,
      figures,
      seconds: (performance.now() - started) / 1000,
    };
    if (error !== undefined) result.error = error;
    results.push(result);
    printScenario(result);
  }
  const header = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode: quick ? 'quick' : 'full',
    // Other work on the machine shows up in the spread; the load says how busy it was.
    machine: {
      ...(await machineFacts()),
      'load average (1 min), start / end': `${loadBefore.toFixed(2)} / ${(os.loadavg()[0] ?? NaN).toFixed(2)}`,
    },
    versions: await versions(),
  };
  const out = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
  // Formatted as the repository's lint expects, so a fresh report passes `npm run lint`.
  writeFileSync(
    out,
    await format(markdown(header, results), { ...(await resolveConfig(out)), filepath: out }),
  );
  console.log(`\nwrote ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
