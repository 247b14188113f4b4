// A routed two-container cell as weft's enforcer expects it (test/integration/enforcer/topology.ts), plus a
// synthetic population of apps, instances and policies around it.
import { readFile, writeFile } from 'node:fs/promises';
import type { EnforcerDesired } from '../../src/enforcer/desired.js';
import { enterCellCgroup } from '../../src/runtime/cell-cgroup.js';
import { TestCell } from '../../test/integration/enforcer/topology.js';
import type { Container } from '../../test/integration/enforcer/topology.js';
import type { Scope } from './cleanup.js';

export const OVERLAY = '10.79.0.0/16';
export const SERVER_PORT = 8080;
/** The two real containers' app tags; synthetic apps take tags from 3 up. */
export const TAG_A = 1;
export const TAG_B = 2;

type Policy = EnforcerDesired['policies'][number];

/** Address of synthetic app n (0-based): 10.79.230.0 upwards, clear of the real containers' subnet. */
export function syntheticIp(n: number): string {
  return `10.79.${230 + Math.floor(n / 250)}.${(n % 250) + 2}`;
}

/**
 * `count` policies among `apps` synthetic apps (one instance each): app i allows the next count/apps apps on
 * 8080, like a dense mesh of services. The real pair a→b is never among them.
 */
export function syntheticPolicies(apps: number, count: number): Policy[] {
  const perApp = Math.ceil(count / apps);
  const out: Policy[] = [];
  for (let i = 0; i < apps && out.length < count; i++) {
    for (let k = 1; k <= perApp && out.length < count; k++) {
      out.push({
        srcTag: i + 3,
        dstTag: ((i + k) % apps) + 3,
        protocol: 'tcp',
        startPort: 8080,
        endPort: 8080,
      });
    }
  }
  return out;
}

export const pairPolicy: Policy = {
  srcTag: TAG_A,
  dstTag: TAG_B,
  protocol: 'tcp',
  startPort: 8080,
  endPort: 8080,
};

/** The benchmark plays the cell: its process moves into a cell cgroup for the scenario, which the rules exempt. */
export async function cellCgroup(scope: Scope, id: string): Promise<EnforcerDesired['exemptCgroup']> {
  const cgroup = await enterCellCgroup(`bench_${id}`);
  scope.defer('cell cgroup', () => cgroup.leave());
  return { path: cgroup.path, level: cgroup.level };
}

export interface BenchCell {
  cell: TestCell;
  a: Container;
  b: Container;
  gatewayIp: string;
  /** Desired state for the enforcer with these policies and `apps` synthetic apps in the tags map. */
  desired(table: string, apps: number, policies: Policy[]): EnforcerDesired;
  /** Forwarding may be switched off by another process meanwhile (tests restore what they found). */
  ensureForwarding(): Promise<void>;
}

export async function makeCell(scope: Scope, id: string): Promise<BenchCell> {
  const subnet = `10.79.${(process.pid % 200) + 20}`;
  const gatewayIp = `${subnet}.1`;
  const exemptCgroup = await cellCgroup(scope, id);
  const cell = new TestCell(id, `wb${id}`, gatewayIp);
  scope.defer('test cell', () => cell.cleanup());
  const forwardingWas = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
  cell.onCleanup(() => writeFile('/proc/sys/net/ipv4/ip_forward', forwardingWas));
  const ensureForwarding = () => writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  await ensureForwarding();
  await cell.addGateway();
  const a = await cell.addContainer('a', `${subnet}.2`);
  const b = await cell.addContainer('b', `${subnet}.3`);
  await b.agent.request('serveTcp', { port: SERVER_PORT });
  return {
    cell,
    a,
    b,
    gatewayIp,
    ensureForwarding,
    desired: (table, apps, policies) => ({
      table,
      ifacePrefix: cell.ifacePrefix,
      overlayCidr: OVERLAY,
      gatewayIp,
      localInstances: [a, b].map((c) => ({ ip: c.ip, hostIface: c.hostIface })),
      tags: [
        { ip: a.ip, tag: TAG_A },
        { ip: b.ip, tag: TAG_B },
        ...Array.from({ length: apps }, (_, n) => ({ ip: syntheticIp(n), tag: n + 3 })),
      ],
      policies,
      proxyForwards: [],
      hostServices: [],
      exemptCgroup,
      peerHosts: [],
    }),
  };
}

/** Loops one-shot probes from a to b until one gets an answer; the time it took, in ms. */
export async function untilConnects(c: BenchCell, since: number, giveUpMs = 10_000): Promise<number> {
  for (;;) {
    const reply = await c.a.agent.request<string | null>('probeTcp', {
      host: c.b.ip,
      port: SERVER_PORT,
      timeoutMs: 25,
    });
    const elapsed = performance.now() - since;
    if (reply !== null) return elapsed;
    if (elapsed > giveUpMs) throw new Error(`a never reached b within ${giveUpMs} ms`);
  }
}

/** True when a probe from a to b gets through. */
export async function connects(c: BenchCell, timeoutMs = 300): Promise<boolean> {
  return (
    (await c.a.agent.request<string | null>('probeTcp', { host: c.b.ip, port: SERVER_PORT, timeoutMs })) !==
    null
  );
}
