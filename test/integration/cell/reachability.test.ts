// Default deny between containers, enforced by a real `weft up`: from every instance to every other one,
// on tcp and udp 8080, exactly the pairs a policy allows connect — single ports, ranges, udp and an app
// talking to itself — also after policies change and after weft restarts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { run, WeftHost, type InstanceInfo } from '../../helpers/weft-host.js';
import { probeFrom, probeFromNetns, type Protocol } from './probes.js';

const PORT = 8080;
const APPS = { 'r-web': 'http-app', 'r-api': 'http-app', 'r-echo': 'echo', 'r-udp': 'echo' } as const;
type AppName = keyof typeof APPS;
const NAMES = Object.keys(APPS) as AppName[];
// http-app answers only tcp; the echo app answers udp too.
const LISTENS: Record<AppName, Protocol[]> = {
  'r-web': ['tcp'],
  'r-api': ['tcp'],
  'r-echo': ['tcp', 'udp'],
  'r-udp': ['tcp', 'udp'],
};

interface PolicySpec {
  src: AppName;
  dst: AppName;
  protocol: Protocol;
  ports: string;
}

const SINGLE_PORT: PolicySpec = { src: 'r-web', dst: 'r-api', protocol: 'tcp', ports: '8080' };
const RANGE: PolicySpec = { src: 'r-api', dst: 'r-echo', protocol: 'tcp', ports: '8000-9000' };
const RANGE_BESIDE: PolicySpec = { src: 'r-web', dst: 'r-udp', protocol: 'tcp', ports: '8081-8090' };
const UDP: PolicySpec = { src: 'r-web', dst: 'r-echo', protocol: 'udp', ports: '8080' };
const SELF: PolicySpec = { src: 'r-udp', dst: 'r-udp', protocol: 'tcp', ports: '8080' };
const ADDED_TCP: PolicySpec = { src: 'r-echo', dst: 'r-web', protocol: 'tcp', ports: '8080' };
const ADDED_UDP_RANGE: PolicySpec = { src: 'r-api', dst: 'r-udp', protocol: 'udp', ports: '8000-8100' };

type Placement = Record<AppName, (InstanceInfo & { ip: string })[]>;

function covers(p: PolicySpec, port: number): boolean {
  const [start, end = start] = p.ports.split('-').map(Number);
  return start !== undefined && end !== undefined && start <= port && port <= end;
}

/** "src/i proto dst/j" for every ordered pair of distinct instances that should get through. */
function expectedOpen(policies: PolicySpec[], placement: Placement): string[] {
  const open: string[] = [];
  for (const src of NAMES)
    for (const s of placement[src])
      for (const dst of NAMES)
        for (const d of placement[dst]) {
          if (s.guid === d.guid) continue;
          for (const proto of LISTENS[dst]) {
            const allowed = policies.some(
              (p) => p.src === src && p.dst === dst && p.protocol === proto && covers(p, PORT),
            );
            if (allowed) open.push(`${src}/${s.index} ${proto} ${dst}/${d.index}`);
          }
        }
  return open.sort();
}

type Prober = (
  app: AppName,
  instance: InstanceInfo,
  targets: string[],
) => Promise<Map<string, 'ok' | 'fail'>>;

const throughSsh =
  (host: WeftHost): Prober =>
  (app, instance, targets) =>
    probeFrom(host, app, instance.index, targets, PORT);

// weft names a container's network namespace after the first 8 hex digits of its instance GUID.
const throughNetns: Prober = (_app, instance, targets) =>
  probeFromNetns(`weft-${instance.guid.replaceAll('-', '').slice(0, 8)}`, targets, PORT);

async function observedOpen(probe: Prober, placement: Placement): Promise<string[]> {
  const all = NAMES.flatMap((app) => placement[app].map((i) => ({ app, ...i })));
  const nameOf = new Map(all.map((i) => [i.ip, `${i.app}/${i.index}`]));
  const rows = await Promise.all(
    all.map(async (s) => {
      const targets = all.filter((d) => d.guid !== s.guid).map((d) => d.ip);
      const results = await probe(s.app, s, targets);
      assert.equal(
        results.size,
        targets.length * 2,
        `probe from ${s.app}/${s.index} answered for every target`,
      );
      return [...results]
        .filter(([, r]) => r === 'ok')
        .map(([key]) => {
          const [proto, ip] = key.split(' ');
          return `${s.app}/${s.index} ${proto} ${nameOf.get(ip ?? '')}`;
        });
    }),
  );
  return rows.flat().sort();
}

/** Probes until the open pairs are the expected ones or the deadline passes; returns the last observation. */
async function settle(probe: Prober, placement: Placement, expected: string[]): Promise<string[]> {
  const end = Date.now() + 60_000;
  for (;;) {
    const seen = await observedOpen(probe, placement);
    if (JSON.stringify(seen) === JSON.stringify(expected) || Date.now() > end) return seen;
  }
}

async function placementOf(host: WeftHost): Promise<Placement> {
  const entries = await Promise.all(NAMES.map(async (n) => [n, await host.waitRunning(n, 2)] as const));
  return Object.fromEntries(entries) as Placement;
}

function policyArgs(p: PolicySpec): string[] {
  return [p.src, '--destination-app', p.dst, '--protocol', p.protocol, '--port', p.ports];
}

/** What r-web/0 answers on its own loopback: its pid and start time tell whether the app was restarted. */
async function selfAnswer(host: WeftHost): Promise<string> {
  return (await host.ssh('r-web', 'curl -sS -m 5 http://127.0.0.1:8080')).stdout.trim();
}

describe('reachability between containers on one cell', () => {
  let host: WeftHost;
  let placement: Placement;
  let policies: PolicySpec[] = [SINGLE_PORT, RANGE, RANGE_BESIDE, UDP, SELF];

  before(async () => {
    // Started without --cleanup, so the restart below finds the kernel state the first run left.
    host = await WeftHost.start({ cleanup: false });
    for (const name of NAMES) await host.push(name, APPS[name], 2);
    for (const p of policies) await host.cliOk('add-network-policy', ...policyArgs(p));
    placement = await placementOf(host);
  });

  after(async () => {
    await host?.shutdown();
  });

  test('exactly the pairs a policy allows connect: single port, range, udp and an app to itself', async () => {
    const expected = expectedOpen(policies, placement);
    // The policies above open 2×2 tcp + 2×2 tcp + 2×2 udp + 2 self pairs; the range beside 8080 opens none.
    assert.equal(expected.length, 14);
    assert.deepEqual(await settle(throughSsh(host), placement, expected), expected);
  });

  test('adding and removing policies changes what running containers reach', async () => {
    await host.cliOk('remove-network-policy', ...policyArgs(SINGLE_PORT));
    await host.cliOk('remove-network-policy', ...policyArgs(UDP));
    // The positional form (cf CLI v7) for one of them.
    await host.cliOk(
      'add-network-policy',
      ADDED_TCP.src,
      ADDED_TCP.dst,
      '--protocol',
      ADDED_TCP.protocol,
      '--port',
      ADDED_TCP.ports,
    );
    await host.cliOk('add-network-policy', ...policyArgs(ADDED_UDP_RANGE));
    policies = [RANGE, RANGE_BESIDE, SELF, ADDED_TCP, ADDED_UDP_RANGE];
    const expected = expectedOpen(policies, placement);
    assert.deepEqual(await settle(throughSsh(host), placement, expected), expected);
  });

  test('after weft restarts on the same home, the rebuilt cell enforces the same policies', async (t) => {
    const before = await host.instances('r-web');
    const answerBefore = await selfAnswer(host);
    const stopped = await host.stop();
    const tableWhileDown = (await run('nft', ['list', 'table', 'inet', host.table])).code === 0;
    const namespacesWhileDown = (await host.namespaces()).length;
    t.diagnostic(
      `while weft was down: nft table kept=${tableWhileDown}, container namespaces=${namespacesWhileDown}`,
    );
    // Left running, the containers stay under the same policies while no weft process runs.
    const expectedWhileDown = expectedOpen(policies, placement);
    assert.deepEqual(await settle(throughNetns, placement, expectedWhileDown), expectedWhileDown);
    await host.launch(true);
    placement = await placementOf(host);
    for (const [i, b] of before.entries()) {
      const a = placement['r-web'][i];
      t.diagnostic(
        `r-web/${i}: guid ${b.guid === a?.guid ? 'kept' : 'changed'}, ip ${b.ip} -> ${a?.ip}, since ${b.since} -> ${a?.since}`,
      );
    }
    t.diagnostic(`r-web/0 answered '${answerBefore}' before the restart, '${await selfAnswer(host)}' after`);
    const expected = expectedOpen(policies, placement);
    assert.deepEqual(await settle(throughSsh(host), placement, expected), expected);
    assert.ok(stopped.exitedOnSigterm, 'weft up ended by itself after SIGTERM (it had to be killed)');
  });
});
