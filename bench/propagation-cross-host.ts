// 2c. Policy propagation across hosts: POST a policy → app-a's first connection to app-b on the other host
// gets through the VXLAN overlay, measured from inside app-a's network namespace.
import { untilNoFlows } from './lib/conntrack.js';
import { startProbe } from './lib/netns-probe.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { sleep } from './lib/proc.js';
import { percentileOf as p, summarize } from './lib/stats.js';
import { startTwoHosts } from './lib/two-hosts.js';
import { netnsOf } from './lib/weft-up.js';
import type { InstanceInfo, Running, WeftUp } from './lib/weft-up.js';
import { fillPolicies, measure } from './propagation-e2e.js';

/** The cell's /24 of the overlay an instance address lies in. */
const leaseOf = (ip: string): string => ip.split('.').slice(0, 3).join('.');

/** Starts app-b with two instances and answers the one on the other cell than `from`. */
async function onOtherCell(weft: WeftUp, app: string, from: Running): Promise<Running> {
  const end = performance.now() + 120_000;
  while (performance.now() < end) {
    const all = await weft.api<InstanceInfo[]>('GET', `/v1/apps/${app}/instances`);
    const running = all.filter((i) => i.state === 'RUNNING' && i.ip !== null);
    if (running.length === all.length && all.length > 0) {
      const there = running.find((i) => leaseOf(i.ip!) !== leaseOf(from.ip));
      if (!there)
        throw new Error(`every instance of app-b runs on the cell of app-a (${leaseOf(from.ip)}.0/24)`);
      return { guid: there.guid, ip: there.ip!, netns: netnsOf(there.guid) };
    }
    await sleep(100);
  }
  throw new Error('app-b not running within 120 s');
}

export const propagationCrossHost: Scenario = {
  id: '2c',
  title: 'Policy propagation across hosts: POST policy answered → first connection to the other host',
  method: `
Two hosts as network namespaces joined by a veth (bench/lib/two-hosts.ts): host 1 runs \`weft up\` (control
plane with SQLite and cell-1), host 2 a \`weft cell\` (cell-2) following it with its own cell token; both
started with \`--cleanup\`, each with its own overlay lease, the instances reaching each other over weft's
VXLAN overlay. app-a runs one instance, app-b two, one on each cell (examples/http-app); the source is
app-a's instance, the destination app-b's instance on the other host. Then as in 2b: a probe in app-a's
network namespace; per round, POST /networking/v1/external/policies a → b tcp/8080 and, the moment the
API answers, fresh TCP connects to app-b's instance every 1 ms (50 ms timeout each) until one is
accepted; the figure is that time. Both cells act on the change: the source's cell tags app-a's packets,
the destination's admits the tag. Then the policy is deleted, the probe waits until connects fail, and the
benchmark until neither host's conntrack holds a live flow a → b. With 10k policies in place: 100 apps
without instances, each allowing 100 apps on 8080, written first.

Peer: not measured. CF's vxlan-policy-agent on each cell polls the policy server every 5 s: 0–5 s.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 10 : 30;
    const { weft, hosts } = await startTwoHosts(scope, 'x');
    const a = await weft.push('app-a', 1);
    const ia = await weft.waitRunning(a);
    const b = await weft.push('app-b', 2);
    const ib = await onOtherCell(weft, b, ia);
    const probe = await startProbe(scope, ia.netns, weft.caPath);
    // Default deny first: a probe that gets through now would measure nothing.
    await probe.request({ op: 'closed', host: ib.ip, port: 8080 });
    const flowsGone = async (): Promise<void> => {
      for (const h of hosts) await untilNoFlows(ia.ip, ib.ip, h);
    };
    for (const size of mode.quick ? [0] : [0, 10_000]) {
      if (size > 0) await fillPolicies(weft, size);
      const s = await measure(weft, probe, [a, b], ib.ip, rounds, flowsGone);
      const label = size === 0 ? '0' : `${size / 1000}k`;
      const fig = (q: number): Figure => ({
        metric: `cross-host propagation p${q}, API answered → first connect, ${label} other policies`,
        unit: 'ms',
        better: 'lower',
        weft: { ...summarize(s.total), median: p(s.total, q) },
      });
      const [p50, p99] = [fig(50), fig(99)];
      p50.note =
        `app-a ${ia.ip} → app-b ${ib.ip}, the other cell's lease; the POST itself took ` +
        `p50 ${fmt(p(s.post, 50))} ms, p99 ${fmt(p(s.post, 99))} ms`;
      p99.target = { text: `p99 ≤ 250 ms at ${label}`, met: p(s.total, 99) <= 250 };
      figures.push(p50, p99);
    }
  },
};
