// 2b. Policy propagation end to end: POST a policy to a running `weft up` → app-a's first connection to app-b
// gets through, measured from inside app-a's network namespace.
import { startProbe } from './lib/netns-probe.js';
import type { NetnsProbe } from './lib/netns-probe.js';
import { untilNoFlows } from './lib/conntrack.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentileOf as p, summarize } from './lib/stats.js';
import type { Summary } from './lib/stats.js';
import { startWeft, wirePolicy } from './lib/weft-up.js';
import type { WeftUp } from './lib/weft-up.js';

const POLICIES = '/networking/v1/external/policies';
const FILLER_APPS = 100;
/** CF's vxlan-policy-agent polls the policy server every 5 s: 0–5 s, 2.5 s on average, before any restore. */
const CF_POLL: Summary = { n: 2, median: 2500, p10: 0, p90: 5000, min: 0, max: 5000 };

interface Samples {
  /** API answered → first connect. */
  total: number[];
  /** POST sent → API answered. */
  post: number[];
  /** Delete answered → the cell has ended a's tracked flows to b. */
  sweep: number[];
}

/** 100 apps without instances and `count` policies among them (tcp/8080), written in batches of 1,000. */
export async function fillPolicies(weft: WeftUp, count: number): Promise<void> {
  const guids: string[] = [];
  for (let i = 0; i < FILLER_APPS; i++) guids.push(await weft.push(`filler-${i}`, 0));
  const all = guids.flatMap((src, i) =>
    Array.from({ length: count / FILLER_APPS }, (_, k) =>
      wirePolicy(src, guids[(i + k) % FILLER_APPS]!, 8080),
    ),
  );
  for (let i = 0; i < all.length; i += 1000)
    await weft.api('POST', POLICIES, { policies: all.slice(i, i + 1000) });
}

/** Rounds of policy create → first connect, delete → closed; `flowsGone` waits out the cell's sweep. */
export async function measure(
  weft: WeftUp,
  probe: NetnsProbe,
  pair: [string, string],
  ip: string,
  rounds: number,
  flowsGone: () => Promise<void>,
) {
  const body = { policies: [wirePolicy(...pair, 8080)] };
  const out: Samples = { total: [], post: [], sweep: [] };
  for (let i = 0; i < rounds; i++) {
    const sent = performance.now();
    await weft.api('POST', POLICIES, body);
    const answered = performance.now();
    // The probe times from the request's arrival; the request leaves at once.
    const connected = probe.request({ op: 'open', host: ip, port: 8080 });
    const handedOver = performance.now() - answered;
    out.total.push(handedOver + (await connected));
    out.post.push(answered - sent);
    await weft.api('POST', `${POLICIES}/delete`, body);
    const deleted = performance.now();
    await probe.request({ op: 'closed', host: ip, port: 8080 });
    await flowsGone();
    out.sweep.push(performance.now() - deleted);
  }
  return out;
}

export const propagationE2e: Scenario = {
  id: '2b',
  title: 'Policy propagation end to end: POST policy answered → first connection inside the container',
  method: `
A real \`weft up\` (control plane with SQLite and a cell in one process, started by the benchmark with
\`--cleanup\` and its own overlay, nft table and link prefix) running app-a and app-b (examples/http-app, one
instance each). A probe (bench/child/netns-probe.ts) runs once, as root, in app-a's network namespace. Per
round: POST /networking/v1/external/policies with a → b tcp/8080 (Cloud Foundry's wire format); the moment
the API answers, the probe starts TCP connects to app-b's instance IP:8080, a fresh one every 1 ms (50 ms
timeout each, so a dropped SYN does not stall it), and reports the time to the first accepted one. The figure
is that time: the change stream, the cell's plan and the nft delta, end to end. Then the policy is deleted,
the probe waits until connects fail again, and the benchmark until conntrack holds no flow a → b:8080 any
more: the cell's sweep of the flows the removal no longer allows (one \`conntrack -D\` per flow, among them
the probe's reset connections) runs in the enforcer's queue and would delay the next round's apply. With 10k policies in place: 100 more apps without
instances, each allowing 100 apps on 8080, written through the API in batches of 1,000 first.

Peer: not measured. CF's vxlan-policy-agent polls the policy server every 5 s, so a new policy takes
0–5 s (2.5 s on average, shown as the range 0–5,000 ms) plus the iptables restore of scenario 2.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 10 : 30;
    const weft = await startWeft(scope, 'p');
    const [a, b] = [await weft.push('app-a', 1), await weft.push('app-b', 1)];
    const [ia, ib] = [await weft.waitRunning(a), await weft.waitRunning(b)];
    const probe = await startProbe(scope, ia.netns, weft.caPath);
    // Default deny first: a probe that gets through now would measure nothing.
    await probe.request({ op: 'closed', host: ib.ip, port: 8080 });
    for (const size of mode.quick ? [0] : [0, 10_000]) {
      if (size > 0) await fillPolicies(weft, size);
      const s = await measure(weft, probe, [a, b], ib.ip, rounds, () => untilNoFlows(ia.ip, ib.ip));
      const label = size === 0 ? '0' : `${size / 1000}k`;
      const fig = (q: number): Figure => ({
        metric: `propagation p${q}, API answered → first connect, ${label} other policies`,
        unit: 'ms',
        better: 'lower',
        weft: { ...summarize(s.total), median: p(s.total, q) },
      });
      const [p50, p99] = [fig(50), fig(99)];
      p50.peer = { name: 'CF agent poll, documented (+ restore)', value: CF_POLL };
      p50.note =
        `the POST itself took p50 ${fmt(p(s.post, 50))} ms, p99 ${fmt(p(s.post, 99))} ms; after a delete, ` +
        `the sweep ending a's flows to b took p50 ${fmt(p(s.sweep, 50))} ms (max ${fmt(Math.max(...s.sweep))})`;
      p99.target = { text: `p99 ≤ 100 ms at ${label}`, met: p(s.total, 99) <= 100 };
      figures.push(p50, p99);
    }
  },
};
