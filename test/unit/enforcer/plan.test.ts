import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rmdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import {
  capacitiesFor,
  outgrows,
  planApply,
  planRuleset,
  planStagedBuild,
  renderState,
} from '../../../src/enforcer/plan.js';
import { elementCount, elementsOf, renderTexts } from '../../../src/enforcer/elements.js';
import type { EnforcerDesired } from '../../../src/enforcer/desired.js';
import { childPlace, currentCgroup, type CgroupPlace } from '../../../src/runtime/cell-cgroup.js';
import { overlayVni } from '../../../src/network/vxlan.js';
import { sampleDesired } from './fixture.js';

/** The script the enforcer would run to go from `prev`, as last built, to `next`; null for none. */
function planDelta(prev: EnforcerDesired, next: EnforcerDesired): string | null {
  const rendered = renderState(prev);
  const step = planApply({ desired: prev, rendered, capacities: capacitiesFor(rendered) }, next);
  if (step.kind === 'delta') return step.script;
  if (step.kind === 'rebuild') return planRuleset(next, step.rendered);
  return null;
}

const execFileAsync = promisify(execFile);

let cgroup: CgroupPlace;

// nft resolves a cgroup when it parses a rule, so checked scripts name one that exists.
before(async () => {
  cgroup = childPlace(await currentCgroup(), `weft-unit-${process.pid}`);
  await mkdir(cgroup.dir);
});

after(() => rmdir(cgroup.dir));

/** `nft -c` runs the script through the kernel in check mode: parsed and validated, nothing committed. */
async function nftCheck(script: string): Promise<void> {
  const { path, level } = sampleDesired().exemptCgroup;
  const pending = execFileAsync('nft', ['-c', '-f', '-']);
  pending.child.stdin?.end(
    script.replaceAll(`level ${level} "${path}"`, `level ${cgroup.level} "${cgroup.path}"`),
  );
  await pending;
}

/** The rules of one chain of a full ruleset, in order, without comments. */
function chainRules(script: string, name: string): string[] {
  const body = new RegExp(`\\n  chain ${name} \\{\\n([\\s\\S]*?)\\n  \\}`).exec(script)?.[1];
  assert.ok(body !== undefined, `no chain ${name}`);
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function withPolicies(d: EnforcerDesired, policies: EnforcerDesired['policies']): EnforcerDesired {
  return { ...d, policies };
}

test('the full ruleset replaces the table in one script that works whether or not the table exists', () => {
  const d = sampleDesired();
  const lines = planRuleset(d).split('\n');
  assert.equal(lines[0], `table inet ${d.table} {}`);
  assert.equal(lines[1], `delete table inet ${d.table}`);
  assert.equal(lines[2], `table inet ${d.table} {`);
});

test('the full ruleset carries every element, single ports in a hash set and ranges in an interval set', () => {
  const script = planRuleset(sampleDesired());
  assert.match(script, /add element inet \S+ spoof \{ "wca1" \. 10\.99\.1\.2, "wcb1" \. 10\.99\.1\.3 \}/);
  assert.match(
    script,
    /add element inet \S+ tags \{ 10\.99\.1\.2 : 1, 10\.99\.1\.3 : 2, 10\.99\.2\.2 : 3 \}/,
  );
  assert.match(script, /add element inet \S+ tcp_ports \{ 1 \. 1 \. 7000, 1 \. 2 \. 8080 \}/);
  assert.match(script, /add element inet \S+ udp_ports \{ 3 \. 2 \. 5353 \}/);
  assert.match(script, /add element inet \S+ tcp_ranges \{ 1 \. 2 \. 9000-9010 \}/);
  assert.match(script, /add element inet \S+ proxy \{ 10\.99\.1\.3 \. 61443 : 10\.99\.1\.1 \. 40001 \}/);
  assert.match(script, /iifname "wc\*" goto from_container/);
});

test('the full ruleset omits element lines for empty sets', () => {
  const script = planRuleset(sampleDesired({ policies: [], proxyForwards: [] }));
  assert.doesNotMatch(script, /add element inet \S+ (tcp|udp)_/);
  assert.doesNotMatch(script, /add element inet \S+ proxy/);
});

test('the full ruleset passes nft check mode, empty or full', async () => {
  await nftCheck(planRuleset(sampleDesired()));
  await nftCheck(
    planRuleset(
      sampleDesired({ localInstances: [], tags: [], policies: [], proxyForwards: [], hostServices: [] }),
    ),
  );
});

test('a delta between identical states is null', () => {
  assert.equal(planDelta(sampleDesired(), sampleDesired()), null);
});

test('a delta that only reorders inputs is null', () => {
  const d = sampleDesired();
  const shuffled = { ...d, tags: [...d.tags].reverse(), policies: [...d.policies].reverse() };
  assert.equal(planDelta(d, shuffled), null);
});

test('adding a policy is a single add element', () => {
  const prev = sampleDesired();
  const next = withPolicies(prev, [
    ...prev.policies,
    { srcTag: 2, dstTag: 1, protocol: 'udp', startPort: 100, endPort: 200 },
  ]);
  assert.equal(planDelta(prev, next), `add element inet ${prev.table} udp_ranges { 2 . 1 . 100-200 }\n`);
});

test('removing a policy is a single delete element', () => {
  const prev = sampleDesired();
  const next = withPolicies(prev, prev.policies.slice(1));
  assert.equal(planDelta(prev, next), `delete element inet ${prev.table} tcp_ports { 1 . 2 . 8080 }\n`);
});

test('a changed tag deletes the old map entry by key before adding the new one', () => {
  const prev = sampleDesired();
  const next = { ...prev, tags: prev.tags.map((t) => (t.ip === '10.99.2.2' ? { ...t, tag: 4 } : t)) };
  assert.equal(
    planDelta(prev, next),
    `delete element inet ${prev.table} tags { 10.99.2.2 }\nadd element inet ${prev.table} tags { 10.99.2.2 : 4 }\n`,
  );
});

test('an instance leaving removes its anti-spoof entry, tag and proxy forward', () => {
  const prev = sampleDesired();
  const next = {
    ...prev,
    localInstances: prev.localInstances.filter((i) => i.ip !== '10.99.1.3'),
    tags: prev.tags.filter((t) => t.ip !== '10.99.1.3'),
    proxyForwards: [],
  };
  const lines = planDelta(prev, next)?.trim().split('\n');
  assert.deepEqual(lines, [
    `delete element inet ${prev.table} spoof { "wcb1" . 10.99.1.3 }`,
    `delete element inet ${prev.table} tags { 10.99.1.3 }`,
    `delete element inet ${prev.table} proxy { 10.99.1.3 . 61443 }`,
  ]);
});

test('a change to a structural input gives the full ruleset', () => {
  const prev = sampleDesired();
  for (const change of [
    { overlayCidr: '10.98.0.0/15' },
    { gatewayIp: '10.99.1.254' },
    { ifacePrefix: 'wx' },
  ]) {
    const next = sampleDesired({ ...change, localInstances: [] });
    assert.equal(planDelta(prev, next), planRuleset(next));
  }
});

test('full ruleset followed by a delta passes nft check mode, overlapping ranges re-merged', async () => {
  const prev = sampleDesired();
  const next = withPolicies(prev, [
    ...prev.policies.filter((p) => p.startPort !== 8080),
    { srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 9005, endPort: 9020 },
    { srcTag: 2, dstTag: 2, protocol: 'udp', startPort: 1, endPort: 65535 },
  ]);
  const delta = planDelta(prev, next);
  assert.ok(delta);
  assert.match(delta, /delete element \S+ \S+ tcp_ports \{ 1 \. 2 \. 8080 \}/);
  assert.match(delta, /delete element \S+ \S+ tcp_ranges \{ 1 \. 2 \. 9000-9010 \}/);
  assert.match(
    delta,
    /add element \S+ \S+ tcp_ranges \{ 1 \. 2 \. 9000-9020 \}\nadd element \S+ \S+ udp_ranges \{ 2 \. 2 \. 1-65535 \}/,
  );
  await nftCheck(planRuleset(prev) + delta);
});

test('1000 policies and 1000 instances take about 2000 elements, not a million', () => {
  const instances = Array.from({ length: 1000 }, (_, i) => ({
    ip: `10.99.${Math.floor(i / 250) + 10}.${(i % 250) + 2}`,
    tag: (i % 500) + 1,
  }));
  const policies = Array.from({ length: 1000 }, (_, i) => ({
    srcTag: (i % 500) + 1,
    dstTag: ((i * 7) % 500) + 1,
    protocol: 'tcp' as const,
    startPort: 8080 + 2 * Math.floor(i / 500),
    endPort: 8080 + 2 * Math.floor(i / 500),
  }));
  const d = sampleDesired({
    localInstances: [],
    proxyForwards: [],
    hostServices: [],
    peerHosts: [],
    tags: instances,
    policies,
  });
  assert.equal(elementCount(elementsOf(d)), 2000);
});

test('a large ruleset passes nft check mode', async () => {
  const tags = Array.from({ length: 2000 }, (_, i) => ({
    ip: `10.99.${Math.floor(i / 250) + 10}.${(i % 250) + 2}`,
    tag: i + 1,
  }));
  const policies = tags.map((t, i) => ({
    srcTag: t.tag,
    dstTag: ((i + 1) % tags.length) + 1,
    protocol: 'tcp' as const,
    startPort: 8000,
    endPort: 8999,
  }));
  await nftCheck(planRuleset(sampleDesired({ tags, policies })));
});

test('hash sets get a power-of-two size with room to double, and a state that fills one outgrows it', () => {
  const small = renderState(sampleDesired());
  const built = capacitiesFor(small);
  assert.equal(built.tags, 1024);
  assert.match(planRuleset(sampleDesired()), /map tags \{ type ipv4_addr : mark; size 1024; \}/);
  assert.equal(outgrows(small, built), false);
  const tags = Array.from({ length: 1100 }, (_, i) => ({
    ip: `10.99.${(i >> 8) + 10}.${i & 255}`,
    tag: i + 1,
  }));
  const grown = renderState(sampleDesired({ tags }));
  assert.equal(outgrows(grown, built), true);
  assert.equal(capacitiesFor(grown).tags, 4096);
});

test('a staged build puts each element in exactly one part, the interval set whole in one, and passes nft check', async () => {
  const policies = Array.from({ length: 300 }, (_, i) => ({
    srcTag: (i % 3) + 1,
    dstTag: 2,
    protocol: 'tcp' as const,
    startPort: 10_000 + i,
    endPort: 10_000 + i + (i % 2 === 0 ? 0 : 1),
  }));
  const d = sampleDesired({ policies });
  const staged = planStagedBuild(d, renderTexts(elementsOf(d)), 3);
  assert.equal(staged.elements.length, 3);
  assert.match(staged.create, /^create table inet \S+\n/);
  assert.doesNotMatch(staged.create, /chain/);
  assert.doesNotMatch(staged.elements.join(''), /chain/);
  assert.match(staged.chains, /hook prerouting/);
  const itemsOf = (script: string, set: string): string[] =>
    [...script.matchAll(new RegExp(`add element inet \\S+ ${set} \\{ (.*) \\}`, 'g'))].flatMap((m) =>
      (m[1] ?? '').split(', '),
    );
  const full = planRuleset(d);
  for (const set of ['tcp_ports', 'tcp_ranges', 'tags', 'spoof', 'proxy']) {
    const parts = staged.elements.map((script) => itemsOf(script, set));
    assert.deepEqual(parts.flat().sort(), itemsOf(full, set).sort(), set);
  }
  assert.equal(staged.elements.filter((script) => /tcp_ranges \{/.test(script)).length, 1);
  assert.ok(staged.elements.every((script) => /tcp_ports \{/.test(script)));
  await nftCheck(staged.create + staged.elements.join('') + staged.chains);
});

test('the host’s own packets into the overlay pass only when established, from the cell’s cgroup, or to the gateway’s services', () => {
  const script = planRuleset(sampleDesired());
  assert.deepEqual(chainRules(script, 'output_filter'), [
    'type filter hook output priority -150; policy accept;',
    'ip daddr 10.99.0.0/16 goto from_host',
  ]);
  assert.deepEqual(chainRules(script, 'from_host'), [
    'ct state established,related accept',
    'socket cgroupv2 level 1 "unified/weft-cell-unit" accept',
    'ip daddr 10.99.1.1 meta l4proto . th dport @host_services accept',
    'meta l4proto tcp reject with tcp reset',
    'reject with icmpx type admin-prohibited',
  ]);
});

test('a packet into the overlay from neither a container nor the host itself is judged by policy', () => {
  const script = planRuleset(sampleDesired());
  const prerouting = chainRules(script, 'prerouting_filter');
  assert.deepEqual(prerouting.slice(-3), [
    'ct state established,related accept',
    'iifname "lo" accept',
    'ip daddr 10.99.0.0/16 goto from_underlay',
  ]);
  // Only another cell's containers send from the overlay, and their source routes back the way it came.
  assert.deepEqual(chainRules(script, 'from_underlay'), [
    'ip saddr != 10.99.0.0/16 drop',
    'fib saddr . iif oif missing drop',
    'goto check_policy',
  ]);
});

test('a container’s packets meet anti-spoofing before any accept', () => {
  const script = planRuleset(sampleDesired());
  const prerouting = chainRules(script, 'prerouting_filter');
  const firstAccept = prerouting.findIndex((r) => /accept$/.test(r));
  assert.ok(prerouting.indexOf('iifname "wc*" goto from_container') < firstAccept);
  const fromContainer = chainRules(script, 'from_container');
  assert.deepEqual(fromContainer.slice(0, 3), [
    'meta nfproto != ipv4 drop',
    'iifname . ip saddr != @spoof drop',
    'ct state established,related accept',
  ]);
});

test('VXLAN of this overlay is taken only from the other cells’ hosts', () => {
  const d = sampleDesired();
  const script = planRuleset(d);
  assert.ok(
    chainRules(script, 'prerouting_filter').includes(
      `udp dport 4789 @th,96,24 ${overlayVni(d.overlayCidr)} ip saddr != @peer_hosts drop`,
    ),
  );
  assert.match(script, /add element inet \S+ peer_hosts \{ 192\.0\.2\.10, 192\.0\.2\.11 \}/);
});

test('the gateway’s proxy listeners take only DNAT-ed flows, the gateway’s services any', () => {
  const script = planRuleset(sampleDesired());
  assert.deepEqual(chainRules(script, 'input'), [
    'type filter hook input priority 0; policy accept;',
    'iifname "wc*" goto container_to_host',
    'ip daddr 10.99.1.1 goto to_gateway',
  ]);
  assert.deepEqual(chainRules(script, 'to_gateway'), [
    'ct state established,related accept',
    'meta l4proto tcp ct status dnat accept',
    'meta l4proto . th dport @host_services accept',
    'drop',
  ]);
});

test('another exempt cgroup rebuilds the table; another cell host is an element delta', () => {
  const prev = sampleDesired();
  for (const exemptCgroup of [
    { path: 'unified/other', level: 1 },
    { path: 'unified/weft-cell-unit', level: 2 },
  ]) {
    const next = sampleDesired({ exemptCgroup });
    assert.equal(planDelta(prev, next), planRuleset(next));
  }
  assert.equal(
    planDelta(prev, sampleDesired({ peerHosts: ['192.0.2.11', '192.0.2.12'] })),
    `delete element inet ${prev.table} peer_hosts { 192.0.2.10 }\nadd element inet ${prev.table} peer_hosts { 192.0.2.12 }\n`,
  );
});

test('the next step is a build, then nothing, a delta, or a rebuild once a set outgrows its build', () => {
  const first = sampleDesired();
  assert.equal(planApply(null, first).kind, 'build');
  const rendered = renderState(first);
  const applied = { desired: first, rendered, capacities: capacitiesFor(rendered) };
  assert.equal(planApply(applied, first).kind, 'nothing');
  assert.equal(planApply(applied, sampleDesired({ peerHosts: [] })).kind, 'delta');
  const tags = Array.from({ length: 1100 }, (_, i) => ({
    ip: `10.99.${(i >> 8) + 10}.${i & 255}`,
    tag: i + 1,
  }));
  assert.equal(planApply(applied, sampleDesired({ tags })).kind, 'rebuild');
  assert.equal(planApply(applied, sampleDesired({ gatewayIp: '10.99.1.254' })).kind, 'rebuild');
});

test('with the flow log on, a denied new flow is logged to its NFLOG group within its source’s budget, then dropped', async () => {
  const script = planRuleset(sampleDesired({ flowLog: { group: 4242, perSourcePerSecond: 20 } }));
  const rules = chainRules(script, 'check_policy');
  const log = rules.findIndex((r) => r.includes('log prefix "weft-denied" group 4242'));
  assert.ok(log > 0, 'no log rule');
  assert.match(
    rules[log] ?? '',
    /^ct state new add @denied_log_meter \{ ip saddr limit rate 20\/second burst 40 packets \}/,
  );
  // After every accept, just before the drop: an allowed flow is never logged as denied.
  assert.equal(rules[log + 1], 'drop');
  assert.ok(rules.slice(0, log).every((r) => !r.includes('log ')));
  await nftCheck(script);
  assert.doesNotMatch(planRuleset(sampleDesired()), /log prefix/);
});

test('turning the flow log on or off rebuilds the rules', () => {
  const off = sampleDesired();
  const on = sampleDesired({ flowLog: { group: 4242, perSourcePerSecond: 20 } });
  assert.match(planDelta(off, on) ?? '', /delete table/);
  assert.match(planDelta(on, off) ?? '', /delete table/);
});
