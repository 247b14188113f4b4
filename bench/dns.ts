// 6. DNS: queries/s (dnsperf) and latency (a fixed-in-flight node client) for app-b.apps.internal, weft's
// DNS (the cell's unbound, fed by CellDns) against dnsmasq serving the same names from a hosts file, and a
// bare Node responder; all on loopback. Also: zone update → visible to the next query, unbound's memory.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dnsLatencies } from './lib/dns-load.js';
import { dnsmasq } from './lib/peers.js';
import { cpuSplitMicros, daemon, sh, tempDir, waitForLine } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentile, summarize } from './lib/stats.js';

const ENTRY = fileURLToPath(new URL('./child/dns-server.ts', import.meta.url));
const FLOOR = fileURLToPath(new URL('./child/node-udp-floor.ts', import.meta.url));
const NAME = 'app-b.apps.internal';
const IN_FLIGHT = 4;
const UPDATES_TEXT = '200';

const median = (xs: number[]): number => summarize(xs).median;
const kernelOf = (s: Samples): number[] => s.cpuPerQuery.map((c, i) => c - (s.userPerQuery[i] ?? 0));

interface Samples {
  qps: number[];
  cpuPerQuery: number[];
  userPerQuery: number[];
  p50: number[];
  p99: number[];
}

async function dnsperf(
  port: number,
  queries: string,
  seconds: number,
): Promise<{ qps: number; completed: number }> {
  const out = await sh('dnsperf', [
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    queries,
    '-l',
    String(seconds),
    '-c',
    '1',
    '-T',
    '1',
    '-q',
    '64',
  ]);
  const completed = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1]);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1]);
  if (lost > completed / 1000)
    throw new Error(`dnsperf lost ${lost} of ${completed + lost} queries on port ${port}`);
  return { qps: Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1]), completed };
}

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  const kib = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kib / 1024;
}

async function measure(
  port: number,
  pid: number,
  queries: string,
  seconds: number,
  total: number,
  into: Samples,
): Promise<void> {
  const c0 = cpuSplitMicros(pid);
  const run = await dnsperf(port, queries, seconds);
  const c1 = cpuSplitMicros(pid);
  into.qps.push(run.qps);
  into.cpuPerQuery.push((c1.user + c1.kernel - c0.user - c0.kernel) / run.completed);
  into.userPerQuery.push((c1.user - c0.user) / run.completed);
  const lat = (await dnsLatencies(port, NAME, IN_FLIGHT, total)).sort((a, b) => a - b);
  into.p50.push(percentile(lat, 50));
  into.p99.push(percentile(lat, 99));
}

export const dns: Scenario = {
  id: '6',
  title: 'DNS: queries/s and latency for app-b.apps.internal',
  method: `
weft's DNS: the cell's unbound 1.17 (one thread, as a cell runs it) started and fed by CellDns in its own
node process (bench/child/dns-server.ts), with a zone holding apps.internal (app-a with one instance,
app-b with two), per-source rate limit off; CPU and memory are unbound's own process; dnsmasq 2.90 with the same names in an \`--addn-hosts\` file,
\`--local=/apps.internal/\`, \`--no-resolv\`, cache 10,000; and a bare Node responder
(bench/child/node-udp-floor.ts: one dgram socket answering every query with one canned answer, none of weft's
code), the floor of any DNS server on Node's dgram. All on 127.0.0.1, UDP.
- queries/s: dnsperf (1 thread, 1 client, up to 64 queries in flight) asking \`app-b.apps.internal A\` for
  a fixed time; CPU µs per query from the server's /proc/PID/stat, split into user space and kernel in the
  notes.
- latency: a node client (bench/lib/dns-load.ts) keeping ${IN_FLIGHT} queries in flight, 20–50k queries; p50/p99
  per round. The client's own overhead is in both servers' figures alike.
- zone update: ${UPDATES_TEXT} updates, each swapping app-b's second address over the control socket
  (local_datas_remove + local_datas); the time until CellDns.setZone resolves, then one query for app-b,
  which must see the new address.
Servers run in turn within each round; medians over rounds.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 1 : 3;
    const seconds = mode.quick ? 3 : 8;
    const total = mode.quick ? 20_000 : 50_000;
    const dir = tempDir(scope, 'weft-bench-dns-');
    const queries = path.join(dir, 'queries');
    writeFileSync(queries, `${NAME} A\n`);
    const weftChild = daemon(scope, process.execPath, ['--import', 'tsx', ENTRY]);
    const started = await waitForLine(
      weftChild,
      /updates ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)\nready (\d+) (\d+)\n/,
    );
    const [startMs, updateP50, updateP99, seen, updates, weftPort, unboundPid] = started.slice(1).map(Number);
    const peer = await dnsmasq(
      scope,
      dir,
      'apps.internal',
      '10.79.0.2 app-a.apps.internal 0.app-a.apps.internal\n10.79.0.3 app-b.apps.internal 0.app-b.apps.internal\n10.79.0.4 app-b.apps.internal 1.app-b.apps.internal\n',
    );
    const floorChild = daemon(scope, process.execPath, ['--import', 'tsx', FLOOR]);
    const floorPort = Number((await waitForLine(floorChild, /ready (\d+)\n/))[1]);
    const empty = (): Samples => ({ qps: [], cpuPerQuery: [], userPerQuery: [], p50: [], p99: [] });
    const weft = empty();
    const masq = empty();
    const floor = empty();
    for (let r = 0; r < rounds; r++) {
      await measure(weftPort ?? 0, unboundPid ?? 0, queries, seconds, total, weft);
      await measure(peer.port, peer.child.pid ?? 0, queries, seconds, total, masq);
      await measure(floorPort, floorChild.pid ?? 0, queries, seconds, total, floor);
    }
    for (const [peerName, other] of [
      ['dnsmasq', masq],
      ['bare Node responder', floor],
    ] as const) {
      const first = other === masq;
      figures.push({
        metric: 'queries/s (dnsperf, 64 in flight)',
        unit: 'q/s',
        better: 'higher',
        weft: summarize(weft.qps),
        peer: { name: peerName, value: summarize(other.qps) },
        ...(first && {
          target: { text: "≥ dnsmasq's", met: median(weft.qps) >= median(masq.qps) },
        }),
      });
      figures.push({
        metric: 'server CPU per query',
        unit: 'µs',
        better: 'lower',
        weft: summarize(weft.cpuPerQuery),
        peer: { name: peerName, value: summarize(other.cpuPerQuery) },
        note: `per query: user space ${fmt(median(weft.userPerQuery))} µs (${peerName} ${fmt(median(other.userPerQuery))}), kernel ${fmt(median(kernelOf(weft)))} µs (${peerName} ${fmt(median(kernelOf(other)))})`,
      });
      for (const q of ['p50', 'p99'] as const) {
        figures.push({
          metric: `latency ${q} (${IN_FLIGHT} in flight)`,
          unit: 'µs',
          better: 'lower',
          weft: summarize(weft[q]),
          peer: { name: peerName, value: summarize(other[q]) },
          ...(first && q === 'p99' && { target: { text: 'p99 < 1 ms', met: median(weft.p99) < 1000 } }),
        });
      }
    }
    figures.push(
      {
        metric: 'zone update → visible to the next query (p50 / p99)',
        unit: 'ms',
        better: 'lower',
        weft: summarize([updateP99 ?? NaN]),
        note: `p50 ${fmt(updateP50)} ms; the next query saw ${seen} of ${updates} updates`,
        target: { text: 'the next query sees it', met: seen === updates },
      },
      {
        metric: 'resident memory after the runs',
        unit: 'MiB',
        better: 'lower',
        weft: summarize([rssMiB(unboundPid ?? 0)]),
        peer: { name: 'dnsmasq', value: summarize([rssMiB(peer.child.pid ?? 0)]) },
        note: `unbound starts and answers its control socket ${fmt(startMs)} ms after it is spawned`,
      },
    );
  },
};
