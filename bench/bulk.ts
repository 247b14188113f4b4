// 1. Bulk: 100k policies over 1,000 apps built into a fresh nft table by the Enforcer, against the same policies
// as a CF-style iptables ruleset loaded with iptables-restore.
import { Enforcer } from '../src/enforcer/enforcer.js';
import { renderState } from '../src/enforcer/plan.js';
import type { EnforcerDesired } from '../src/enforcer/desired.js';
import { OVERLAY, cellCgroup, syntheticIp, syntheticPolicies } from './lib/cell.js';
import { IptablesRuleset } from './lib/iptables.js';
import type { IptablesFlavour } from './lib/iptables.js';
import { fmt } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { summarize } from './lib/stats.js';

const APPS = 1000;
const POLICIES = 100_000;

function desired(table: string, exemptCgroup: EnforcerDesired['exemptCgroup']): EnforcerDesired {
  return {
    table,
    ifacePrefix: `wbk${process.pid.toString(36)}`,
    overlayCidr: OVERLAY,
    gatewayIp: '10.79.0.1',
    localInstances: [],
    tags: Array.from({ length: APPS }, (_, n) => ({ ip: syntheticIp(n), tag: n + 3 })),
    policies: syntheticPolicies(APPS, POLICIES),
    proxyForwards: [],
    hostServices: [],
    exemptCgroup,
    peerHosts: [],
  };
}

export const bulk: Scenario = {
  id: '1',
  title: 'Bulk: 100k policies over 1,000 apps into the kernel',
  method: `
weft: \`Enforcer.apply()\` of a desired state with 1,000 apps (one instance each, so 1,000 tag-map entries) and
100,000 tcp/8080 policies (each app allows the next 100 apps) into a table that does not exist yet: planning
in JS, then the staged build a cell makes of an absent table (\`create\` with the sets; the elements split
over one \`nft -f\` per core, run in parallel; the chains, whose hooks make it take effect, last), then the
conntrack sweep. The time covers the whole call.

Peer: the same policies as Cloud Foundry's vxlan-policy-agent renders them: one MARK rule per source
instance IP and one linear ACCEPT rule per policy and destination instance
(\`-d DST -p tcp --dport 8080 -m mark --mark SRC_TAG -j ACCEPT\`), 101,004 rules, loaded into fresh chains
with one \`iptables-restore --noflush\`. Measured with the legacy x_tables backend (what CF's agent ships)
and with iptables-nft (Debian 12's default \`iptables\`). Each repetition starts from no table/chains.`,

  async run(mode, scope, figures) {
    const reps = mode.quick ? 2 : 5;
    const base = `wbbulk${process.pid}`;
    const d = desired(base, await cellCgroup(scope, base));
    const weft: number[] = [];
    const planMs: number[] = [];
    for (let r = 0; r < reps; r++) {
      const table = `${base}_${r}`;
      const enforcer = new Enforcer({ table });
      scope.defer(`nft table ${table}`, () => enforcer.remove());
      const t0 = performance.now();
      await enforcer.apply({ ...d, table });
      weft.push(performance.now() - t0);
      await enforcer.remove();
      const t1 = performance.now();
      renderState({ ...d, table });
      planMs.push(performance.now() - t1);
    }
    const peers: Partial<Record<IptablesFlavour, number[]>> = {};
    for (const flavour of ['legacy', 'nft'] as const) {
      const times: number[] = [];
      // iptables-nft with 100k rules takes long: fewer repetitions keep the run bounded.
      const n = flavour === 'nft' ? Math.min(reps, mode.quick ? 1 : 3) : reps;
      for (let r = 0; r < n; r++) {
        const rules = new IptablesRuleset(flavour, `k${process.pid.toString(36)}${r}`);
        const text = rules.render(d);
        const t0 = performance.now();
        await rules.restore(scope, text);
        times.push(performance.now() - t0);
        await rules.remove();
      }
      peers[flavour] = times;
    }
    const w = summarize(weft);
    const legacy = summarize(peers.legacy ?? []);
    figures.push({
      metric: 'full build, 100k policies',
      unit: 'ms',
      better: 'lower',
      weft: w,
      peer: { name: 'iptables-legacy-restore (CF)', value: legacy },
      target: { text: '≤ 2 s and faster than iptables', met: w.median <= 2000 && w.median < legacy.median },
      note: `of which rendering the elements in JS (renderState, ~2 MB of nft text) ${fmt(summarize(planMs).median)} ms; the rest is nft parsing (most of it), the kernel transactions and the sweep`,
    });
    figures.push({
      metric: 'full build, 100k policies (iptables-nft peer)',
      unit: 'ms',
      better: 'lower',
      weft: w,
      peer: { name: 'iptables-nft-restore', value: summarize(peers.nft ?? []) },
    });
  },
};
