// 4. TLS proxy: keep-alive throughput, CPU per request, added latency and full handshakes per core of weft's
// TlsProxy against nginx `stream { ssl }` and HAProxy `mode tcp` ssl, all in front of one HTTP backend.
import type { ChildProcess } from 'node:child_process';
import { benchCa } from './lib/certs.js';
import { haproxyTls, httpBackend, nginxStreamTls, nodeTlsFloor } from './lib/peers.js';
import { cpuSplitMicros, tempDir } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { summarize } from './lib/stats.js';
import { weftProxy } from './lib/weft-proxy.js';
import { wrk } from './lib/wrk.js';

type Name = 'direct' | 'weft' | 'nginx' | 'haproxy' | 'node';
const PROXIES = ['weft', 'nginx', 'haproxy', 'node'] as const;
const PEER_NAME = { nginx: 'nginx', haproxy: 'haproxy', node: 'bare Node proxy' } as const;
const METRICS = [
  'rps',
  'cpuPerReq',
  'userPerReq',
  'p50',
  'p99',
  'handshakes',
  'hsPerCore',
  'userPerHs',
  'kernelPerHs',
  'errors',
] as const;
type Samples = Record<(typeof METRICS)[number], number[]>;

const empty = (): Samples => Object.fromEntries(METRICS.map((m) => [m, []])) as unknown as Samples;

async function measure(
  url: string,
  child: ChildProcess | null,
  seconds: number,
  into: Samples,
): Promise<void> {
  const cpu = () => (child?.pid ? cpuSplitMicros(child.pid) : { user: 0, kernel: 0 });
  let c0 = cpu();
  const keepAlive = await wrk(url, { connections: 32, seconds });
  into.rps.push(keepAlive.rps);
  if (child) {
    const c1 = cpu();
    into.cpuPerReq.push((c1.user + c1.kernel - c0.user - c0.kernel) / keepAlive.requests);
    into.userPerReq.push((c1.user - c0.user) / keepAlive.requests);
  }
  const single = await wrk(url, { connections: 1, seconds });
  into.p50.push(single.p50);
  into.p99.push(single.p99);
  let errors = keepAlive.errors + single.errors;
  if (child) {
    c0 = cpu();
    const fresh = await wrk(url, { connections: 16, seconds, close: true });
    const c1 = cpu();
    const cpuSeconds = (c1.user + c1.kernel - c0.user - c0.kernel) / 1e6;
    into.handshakes.push(fresh.rps);
    into.hsPerCore.push(fresh.requests / cpuSeconds);
    into.userPerHs.push((c1.user - c0.user) / fresh.requests);
    into.kernelPerHs.push((c1.kernel - c0.kernel) / fresh.requests);
    errors += fresh.errors;
  }
  into.errors.push(errors);
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
- keep-alive: 32 connections → requests/s, and the proxy's CPU (utime+stime of its process tree from
  /proc/PID/stat) ÷ requests = CPU µs per request, split into user space and kernel in the notes;
- latency: 1 connection, closed loop → p50/p99; "added" is the proxy's minus the direct backend's;
- handshakes: 16 connections with \`Connection: close\`, so every request is a new TCP connection and a TLS
  handshake → handshakes/s, and handshakes per CPU-second of the proxy ("per core"). wrk offers each new
  connection the session of the one before, so all but the first handshake of each of its 16 connections
  are TLS 1.3 resumptions (PSK with ECDHE: no certificate, no signature; over 99% in nginx's and HAProxy's
  logs), alike for every server (all issue session tickets by default). Client, proxy and backend share the
  2 cores, so rates are lower than on separate machines; the per-CPU figures are the fair comparison.
Targets run in turn within each round, in reverse every other round; the figures are medians over rounds.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 1 : 3;
    const seconds = mode.quick ? 2 : 5;
    const dir = tempDir(scope, 'weft-bench-tls-');
    const creds = await (await benchCa()).issue('app-b');
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
    const samples: Record<Name, Samples> = {
      direct: empty(),
      weft: empty(),
      nginx: empty(),
      haproxy: empty(),
      node: empty(),
    };
    for (let r = 0; r < rounds; r++) {
      // Every other round runs the targets in reverse, so none is always measured first or last in a round.
      const order = r % 2 === 0 ? PROXIES : [...PROXIES].reverse();
      for (const name of ['direct', ...order] as const) {
        await measure(targets[name].url, targets[name].child, seconds, samples[name]);
      }
    }
    const errors = Object.entries(samples).filter(([, s]) => s.errors.some((e) => e > 0));
    if (errors.length > 0) throw new Error(`wrk saw errors against ${errors.map(([n]) => n).join(', ')}`);

    const direct = { p50: summarize(samples.direct.p50).median, p99: summarize(samples.direct.p99).median };
    const added = (name: Name, q: 'p50' | 'p99') =>
      summarize(samples[name][q].map((x) => (x - direct[q]) / 1000));
    const add = (f: Omit<Figure, 'peer'>, peer: keyof typeof PEER_NAME, peerValue: Figure['weft']) =>
      figures.push({ ...f, peer: { name: PEER_NAME[peer], value: peerValue } });
    for (const peer of ['nginx', 'haproxy', 'node'] as const) {
      const first = peer === 'nginx';
      const w = samples.weft;
      const p = samples[peer];
      add(
        { metric: 'keep-alive requests/s', unit: 'req/s', better: 'higher', weft: summarize(w.rps) },
        peer,
        summarize(p.rps),
      );
      const kernel = (x: Samples): number[] => x.cpuPerReq.map((c, i) => c - (x.userPerReq[i] ?? 0));
      const split = (what: string, user: number[], kern: number[], peerUser: number[], peerKern: number[]) =>
        `${what}: user space ${fmt(summarize(user).median)} µs (${PEER_NAME[peer]} ${fmt(summarize(peerUser).median)}), ` +
        `kernel ${fmt(summarize(kern).median)} µs (${PEER_NAME[peer]} ${fmt(summarize(peerKern).median)})`;
      add(
        {
          metric: 'CPU per request (keep-alive)',
          unit: 'µs',
          better: 'lower',
          weft: summarize(w.cpuPerReq),
          note: split('per request', w.userPerReq, kernel(w), p.userPerReq, kernel(p)),
          ...(first && {
            target: {
              text: "≤ 1.05× nginx's",
              met: summarize(w.cpuPerReq).median <= 1.05 * summarize(p.cpuPerReq).median,
            },
          }),
        },
        peer,
        summarize(p.cpuPerReq),
      );
      add(
        {
          metric: 'added latency p50 (1 connection)',
          unit: 'ms',
          better: 'lower',
          weft: added('weft', 'p50'),
        },
        peer,
        added(peer, 'p50'),
      );
      add(
        {
          metric: 'added latency p99 (1 connection)',
          unit: 'ms',
          better: 'lower',
          weft: added('weft', 'p99'),
          ...(first && { target: { text: '≤ 0.2 ms', met: added('weft', 'p99').median <= 0.2 } }),
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
          ...(first && {
            target: {
              text: "≥ 0.9× nginx's",
              met: summarize(w.hsPerCore).median >= 0.9 * summarize(p.hsPerCore).median,
            },
          }),
        },
        peer,
        summarize(p.hsPerCore),
      );
    }
    figures.push({
      metric: 'direct backend latency p50 / p99 (reference)',
      unit: 'µs',
      better: 'lower',
      weft: null,
      note: `${direct.p50} µs / ${direct.p99} µs, ${summarize(samples.direct.rps).median.toFixed(0)} req/s keep-alive`,
    });
  },
};
