// 4. TLS proxy: keep-alive throughput, CPU per request, added latency and full handshakes per core of weft's
// TlsProxy against nginx `stream { ssl }` and HAProxy `mode tcp` ssl, all in front of one HTTP backend.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchCa } from './lib/certs.js';
import { haproxyTls, httpBackend, nginxStreamTls, nodeTlsFloor } from './lib/peers.js';
import { Interference } from './lib/interference.js';
import { cpuBetween, cpuSample, tempDir } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { summarize } from './lib/stats.js';
import { weftProxy } from './lib/weft-proxy.js';
import { pacedScript, wrk, type WrkResult } from './lib/wrk.js';

type Name = 'direct' | 'weft' | 'nginx' | 'haproxy' | 'node';
type Proxy = Exclude<Name, 'direct'>;
const PROXIES = ['weft', 'nginx', 'haproxy', 'node'] as const;
const PEER_NAME = { nginx: 'nginx', haproxy: 'haproxy', node: 'bare Node proxy' } as const;
const METRICS = [
  'rps',
  'cpuPerReq',
  'userPerReq',
  'kernelPerReq',
  'p50',
  'p99',
  'latencySamples',
  'handshakes',
  'hsPerCore',
  'userPerHs',
  'kernelPerHs',
] as const;
/** One value per round, index r for round r: every target is measured in every round. */
type Samples = Record<(typeof METRICS)[number], number[]>;

const empty = (): Samples => Object.fromEntries(METRICS.map((m) => [m, []])) as unknown as Samples;

/** Failed requests wrk counted against each target, over every run. */
type Errors = Partial<Record<Name, number>>;

/** The milliseconds wrk waits before each request of the latency run: about 1,000 requests/s, one at a time. */
const LATENCY_PACE_MS = 1;

interface Durations {
  keepAlive: number;
  latency: number;
  handshakes: number;
}

type Target = { url: string; child: ChildProcess | null };
type Phase = (target: Target, into: Samples) => Promise<number>;

/** The three loads, each run against every target in turn before the next starts (see the method). */
function phases(seconds: Durations, pacedScript: string): Phase[] {
  const keepAlive: Phase = async ({ url, child }, into) => {
    if (!child) return 0;
    const run = await cpuOf(child, () => wrk(url, { connections: 32, seconds: seconds.keepAlive }));
    into.rps.push(run.result.rps);
    into.cpuPerReq.push(run.cpu.total / run.result.requests);
    into.userPerReq.push(run.cpu.user / run.result.requests);
    into.kernelPerReq.push(run.cpu.kernel / run.result.requests);
    return run.result.errors;
  };
  const latency: Phase = async ({ url }, into) => {
    const single = await wrk(url, { connections: 1, seconds: seconds.latency, script: pacedScript });
    into.p50.push(single.p50);
    into.p99.push(single.p99);
    into.latencySamples.push(single.requests);
    return single.errors;
  };
  const handshakes: Phase = async ({ url, child }, into) => {
    if (!child) return 0;
    const run = await cpuOf(child, () =>
      wrk(url, { connections: 16, seconds: seconds.handshakes, close: true }),
    );
    into.handshakes.push(run.result.rps);
    into.hsPerCore.push(run.result.requests / (run.cpu.total / 1e6));
    into.userPerHs.push(run.cpu.user / run.result.requests);
    into.kernelPerHs.push(run.cpu.kernel / run.result.requests);
    return run.result.errors;
  };
  return [keepAlive, latency, handshakes];
}

async function cpuOf(
  child: ChildProcess,
  load: () => Promise<WrkResult>,
): Promise<{ result: WrkResult; cpu: ReturnType<typeof cpuBetween> }> {
  const pid = child.pid ?? 0;
  const before = cpuSample(pid);
  const result = await load();
  return { result, cpu: cpuBetween(before, cpuSample(pid)) };
}

/** Other processes' CPU, as a share of one core, under which a round counts as quiet. */
const QUIET_SHARE = 0.1;
const MIN_QUIET_ROUNDS = 3;

/** The samples of the rounds marked true. */
function keepRounds(all: Record<Name, Samples>, keep: readonly boolean[]): Record<Name, Samples> {
  const pick = (s: Samples): Samples =>
    Object.fromEntries(METRICS.map((m) => [m, s[m].filter((_, r) => keep[r])])) as unknown as Samples;
  return {
    direct: pick(all.direct),
    weft: pick(all.weft),
    nginx: pick(all.nginx),
    haproxy: pick(all.haproxy),
    node: pick(all.node),
  };
}

/** Per-round ratios a[r] ÷ b[r]: both measured in the same round, so a slow round slows both. */
function paired(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, r) => x / (b[r] ?? NaN));
}

/** Per-round differences a[r] − b[r], microseconds to milliseconds. */
function pairedMs(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, r) => (x - (b[r] ?? NaN)) / 1000);
}

export const tlsProxy: Scenario = {
  id: '4',
  title: 'TLS proxy: keep-alive, CPU per request, added latency, handshakes',
  method: `
One HTTP backend on loopback (nginx, one worker, \`return 200\` with a 23-byte body). In front of it, each
terminating TLS with the same ECDSA P-256 certificate and key issued by weft's CA: weft's \`TlsProxy\` in a
node process of its own (bench/child/weft-proxy.ts) with the HAProxy it drives, configured as a cell's (256
listeners, per-source and proxy-wide limits, the mutual-TLS rules; CPU counted over node and HAProxy), nginx \`stream { server { listen ssl; proxy_pass } }\`
with one worker, HAProxy \`mode tcp\` with \`bind ... ssl crt\` and \`nbthread 1\`, and a bare Node proxy
(bench/child/node-tls-floor.ts: \`tls.createServer\`, \`net.connect\`, \`pipe\` both ways, none of weft's
code), which shows the floor of any proxy built on Node's TLS stack. TLS 1.2–1.3, each
server's default TLS 1.3 suite and group. The client is wrk (one thread) on the same 2-core machine:
- keep-alive: 32 connections for 2 s → requests/s, and the proxy's CPU (its process tree's scheduler time
  from /proc/PID/task/*/schedstat, in ns; split into user space and kernel in the proportion of utime and
  stime) ÷ requests = CPU µs per request;
- latency: 1 keep-alive connection for 3 s, paced by a wrk script that waits 1 ms before each request
  (about 800 requests/s, the machine mostly idle: a saturated CPU would make p99 the scheduler's queue, not
  the proxy's path) → p50/p99 of about 2,400 requests; "added" is the proxy's minus the direct backend's in
  the same round;
- handshakes: 16 connections with \`Connection: close\` for 2 s, so every request is a new TCP connection and
  a TLS handshake → handshakes/s, and handshakes per CPU-second of the proxy ("per core"). wrk offers each
  new connection the session of the one before, so all but the first handshake of each of its 16
  connections are TLS 1.3 resumptions (PSK with ECDHE: no certificate, no signature; over 99% in nginx's and
  HAProxy's logs), alike for every server (all issue session tickets by default). wrk sends the address as
  SNI, so weft's listener answers from its crt-list's default entry, which asks for a client certificate
  in a full handshake only. Client, proxy and backend share the 2 cores, so rates are lower than on
  separate machines; the per-CPU figures are the fair comparison.
Before the rounds, every load runs once for 1 s against every target, not counted (a fresh server's first
connections pay for what it sets up once). Rounds: within each, the keep-alive load runs against the direct
backend, then the proxies in turn (in reverse every other round), then the latency load likewise, then the
handshake load, so the runs a ratio pairs are seconds apart and every keep-alive run follows another
keep-alive run, never the thousands of closed connections of a handshake run. Other work
on the machine moves single rounds by more than the targets' margins, so each round also measures the CPU
that processes other than the benchmark's used (/proc/stat's user, system and steal time minus the
benchmark's process trees and its reaped wrk runs); a round is quiet while that stays under 10% of one
core. Rounds run until 7 are quiet, 8 at most; the figures are those of the quiet rounds when there are at
least 3, else of every round, as the last note says. Each figure is the median over those rounds, with
min–max. The targets are judged on ratios paired within a round (weft's figure ÷ nginx's of the same round;
the added latency against the direct backend of the same round); plain HAProxy's paired ratio stands
beside weft's, showing what weft's configuration adds to HAProxy's own.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 1 : 7;
    const maxRounds = mode.quick ? 1 : 8;
    const seconds: Durations = mode.quick
      ? { keepAlive: 1, latency: 1, handshakes: 1 }
      : { keepAlive: 2, latency: 3, handshakes: 2 };
    const dir = tempDir(scope, 'weft-bench-tls-');
    const paced = path.join(dir, 'paced.lua');
    writeFileSync(paced, pacedScript(LATENCY_PACE_MS));
    const creds = benchCa().issue('app-b');
    const backend = await httpBackend(scope, dir);
    const weft = await weftProxy(scope, dir, backend.port, [creds]);
    const nginx = await nginxStreamTls(scope, dir, creds, backend.port);
    const haproxy = await haproxyTls(scope, dir, creds, backend.port);
    const node = await nodeTlsFloor(scope, dir, creds, backend.port);
    const targets: Record<Name, { url: string; child: ChildProcess | null }> = {
      direct: { url: `http://127.0.0.1:${backend.port}/`, child: null },
      weft: { url: `https://127.0.0.1:${weft.ports[0]}/`, child: weft.child },
      nginx: { url: `https://127.0.0.1:${nginx.port}/`, child: nginx.child },
      haproxy: { url: `https://127.0.0.1:${haproxy.port}/`, child: haproxy.child },
      node: { url: `https://127.0.0.1:${node.port}/`, child: node.child },
    };
    const measured: Record<Name, Samples> = {
      direct: empty(),
      weft: empty(),
      nginx: empty(),
      haproxy: empty(),
      node: empty(),
    };
    const interference = new Interference(() =>
      [backend.child, weft.child, nginx.child, haproxy.child, node.child].map((c) => c.pid ?? 0),
    );
    const foreign: number[] = [];
    const quietRounds = () => foreign.filter((f) => f < QUIET_SHARE).length;
    // A warm-up pass of every load, not counted: the first connections of a fresh server pay for what it
    // sets up once (buffers, pools, and in HAProxy what its poller learns from the first shutdowns).
    const warmUp = phases({ keepAlive: 1, latency: 1, handshakes: 1 }, paced);
    for (const phase of warmUp)
      for (const name of ['direct', ...PROXIES] as const) await phase(targets[name], empty());
    const loads = phases(seconds, paced);
    const errors: Errors = {};
    for (let r = 0; r < maxRounds && quietRounds() < rounds; r++) {
      const start = interference.mark();
      // Every other round runs the targets in reverse, so none is always measured first or last in a round.
      const proxies: Name[] = r % 2 === 0 ? [...PROXIES] : [...PROXIES].reverse();
      for (const phase of loads)
        for (const name of ['direct', ...proxies] as const)
          errors[name] = (errors[name] ?? 0) + (await phase(targets[name], measured[name]));
      foreign.push(Interference.between(start, interference.mark()));
    }
    const failed = Object.entries(errors).filter(([, n]) => n > 0);
    if (failed.length > 0) throw new Error(`wrk saw errors against ${failed.map(([n]) => n).join(', ')}`);
    // The figures are those of the quiet rounds when there are enough of them to take a median from.
    const kept =
      quietRounds() >= MIN_QUIET_ROUNDS ? foreign.map((f) => f < QUIET_SHARE) : foreign.map(() => true);
    const samples = keepRounds(measured, kept);

    const added = (name: Name, q: 'p50' | 'p99') => summarize(pairedMs(samples[name][q], samples.direct[q]));
    const add = (f: Omit<Figure, 'peer'>, peer: keyof typeof PEER_NAME, peerValue: Figure['weft']) =>
      figures.push({ ...f, peer: { name: PEER_NAME[peer], value: peerValue } });
    const w = samples.weft;
    for (const peer of ['nginx', 'haproxy', 'node'] as const) {
      const p = samples[peer];
      add(
        { metric: 'keep-alive requests/s', unit: 'req/s', better: 'higher', weft: summarize(w.rps) },
        peer,
        summarize(p.rps),
      );
      const split = (what: string, user: number[], kern: number[], peerUser: number[], peerKern: number[]) =>
        `${what}: user space ${fmt(summarize(user).median)} µs (${PEER_NAME[peer]} ${fmt(summarize(peerUser).median)}), ` +
        `kernel ${fmt(summarize(kern).median)} µs (${PEER_NAME[peer]} ${fmt(summarize(peerKern).median)})`;
      add(
        {
          metric: 'CPU per request (keep-alive)',
          unit: 'µs',
          better: 'lower',
          weft: summarize(w.cpuPerReq),
          note: split('per request', w.userPerReq, w.kernelPerReq, p.userPerReq, p.kernelPerReq),
        },
        peer,
        summarize(p.cpuPerReq),
      );
      add(
        { metric: 'added latency p50 (paced)', unit: 'ms', better: 'lower', weft: added('weft', 'p50') },
        peer,
        added(peer, 'p50'),
      );
      add(
        {
          metric: 'added latency p99 (paced)',
          unit: 'ms',
          better: 'lower',
          weft: added('weft', 'p99'),
          ...(peer === 'nginx' && { target: { text: '≤ 0.2 ms', met: added('weft', 'p99').median <= 0.2 } }),
        },
        peer,
        added(peer, 'p99'),
      );
      add(
        {
          metric: 'new TLS connections/s (Connection: close)',
          unit: '/s',
          better: 'higher',
          weft: summarize(w.handshakes),
        },
        peer,
        summarize(p.handshakes),
      );
      add(
        {
          metric: 'handshakes per CPU-second of the proxy',
          unit: '/s',
          better: 'higher',
          weft: summarize(w.hsPerCore),
          note: split('per handshake', w.userPerHs, w.kernelPerHs, p.userPerHs, p.kernelPerHs),
        },
        peer,
        summarize(p.hsPerCore),
      );
    }
    // The targets, on ratios paired within each round; plain HAProxy's beside weft's shows what its config adds.
    const vsNginx = (name: Proxy, m: 'cpuPerReq' | 'hsPerCore') =>
      summarize(paired(samples[name][m], samples.nginx[m]));
    const cpuRatio = vsNginx('weft', 'cpuPerReq');
    const hsRatio = vsNginx('weft', 'hsPerCore');
    figures.push(
      {
        metric: "CPU per keep-alive request ÷ nginx's, paired per round",
        unit: '×',
        better: 'lower',
        weft: cpuRatio,
        peer: { name: 'haproxy', value: vsNginx('haproxy', 'cpuPerReq') },
        target: { text: '≤ 1.05×', met: cpuRatio.median <= 1.05 },
      },
      {
        metric: "handshakes per CPU-second ÷ nginx's, paired per round",
        unit: '×',
        better: 'higher',
        weft: hsRatio,
        peer: { name: 'haproxy', value: vsNginx('haproxy', 'hsPerCore') },
        target: { text: '≥ 0.9×', met: hsRatio.median >= 0.9 },
      },
      {
        metric: 'direct backend latency p50 / p99 (reference)',
        unit: 'µs',
        better: 'lower',
        weft: null,
        note:
          `${summarize(samples.direct.p50).median} µs / ${summarize(samples.direct.p99).median} µs; ` +
          `${summarize(samples.direct.latencySamples).median} paced requests per target and round`,
      },
      {
        metric: 'other processes during a round (share of one core)',
        unit: '',
        better: 'lower',
        weft: null,
        note:
          `${foreign.map((f) => `${(f * 100).toFixed(0)}%`).join(', ')}; ${quietRounds()} of ${foreign.length} rounds quiet ` +
          `(< ${QUIET_SHARE * 100}%), figures over ${kept.every(Boolean) ? 'every round' : 'the quiet ones'}`,
      },
    );
  },
};
