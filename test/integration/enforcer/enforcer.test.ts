// Root only: builds a small routed cell (4 containers of 3 apps, a gateway dummy) and checks what the kernel lets through.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import type { Server, Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { Enforcer } from '../../../src/enforcer/enforcer.js';
import { enterCellCgroup, type CellCgroup } from '../../../src/runtime/cell-cgroup.js';
import type { EnforcerDesired } from '../../../src/enforcer/desired.js';
import { elementCount, elementsOf } from '../../../src/enforcer/elements.js';
import type { EnforcerElements } from '../../../src/enforcer/elements.js';
import { TestCell, sh, type Agent } from './topology.js';

const id = process.pid.toString(36);
const subnet = `10.77.${(process.pid % 200) + 20}`;
const gatewayIp = `${subnet}.1`;
const table = `weft_enf_${process.pid}`;
const TAG = { a: 10, b: 20, c: 30 };
const appOf = (name: string): keyof typeof TAG => name[0] as keyof typeof TAG;

const cell = new TestCell(id, `we${id}`, gatewayIp);
const enforcer = new Enforcer({ table });
const hostPorts = { service: 0, proxyB: 0, proxyC: 0, forbidden: 0 };
let hostIp: string | null = null;
/** The test process plays the cell: its sockets reach containers as the proxy's do. */
let cellCgroup: CellCgroup;
/** Any other process on the host. */
let hostAgent: Agent;

type Policy = EnforcerDesired['policies'][number];
const allow = (
  src: string,
  dst: string,
  protocol: 'tcp' | 'udp',
  startPort: number,
  endPort = startPort,
): Policy => ({
  srcTag: TAG[appOf(src)],
  dstTag: TAG[appOf(dst)],
  protocol,
  startPort,
  endPort,
});

const BASE_POLICIES = [
  allow('a', 'b', 'tcp', 8080),
  allow('a', 'b', 'tcp', 9000, 9002),
  allow('a', 'b', 'udp', 5353),
  allow('a', 'a', 'tcp', 7000),
  allow('c', 'b', 'tcp', 61443),
  allow('a', 'c', 'tcp', 8080),
];

function desired(policies: Policy[]): EnforcerDesired {
  const containers = [...cell.containers.values()];
  return {
    table,
    ifacePrefix: cell.ifacePrefix,
    overlayCidr: '10.77.0.0/16',
    gatewayIp,
    localInstances: containers.map((c) => ({ ip: c.ip, hostIface: c.hostIface })),
    tags: containers.map((c) => ({ ip: c.ip, tag: TAG[appOf(c.name)] })),
    policies,
    proxyForwards: [
      { ip: cell.container('b1').ip, port: 61443, proxyPort: hostPorts.proxyB },
      { ip: cell.container('c1').ip, port: 61443, proxyPort: hostPorts.proxyC },
    ],
    hostServices: [
      { protocol: 'tcp', port: hostPorts.service },
      { protocol: 'udp', port: hostPorts.service },
    ],
    exemptCgroup: { path: cellCgroup.path, level: cellCgroup.level },
    peerHosts: [],
  };
}

/** Where a probe goes: a container by name, or a literal address. */
function address(to: string): string {
  return cell.containers.get(to)?.ip ?? to;
}

/** The reply a probe got, or null when it could not get through. */
function probe(from: string, protocol: 'tcp' | 'udp', to: string, port: number): Promise<string | null> {
  const op = protocol === 'tcp' ? 'probeTcp' : 'probeUdp';
  return cell.container(from).agent.request<string | null>(op, { host: address(to), port, timeoutMs: 1500 });
}

type Expectation = [from: string, protocol: 'tcp' | 'udp', to: string, port: number, open: boolean];

/** Runs all probes at once and compares the whole matrix, so a failure shows every wrong pair. */
async function assertReachability(rows: Expectation[]): Promise<void> {
  const describeRow = ([from, protocol, to, port]: Expectation, open: boolean): string =>
    `${from} -> ${to} ${protocol}/${port}: ${open ? 'open' : 'closed'}`;
  const actual = await Promise.all(
    rows.map(async (row) => describeRow(row, (await probe(row[0], row[1], row[2], row[3])) !== null)),
  );
  assert.deepEqual(
    actual,
    rows.map((row) => describeRow(row, row[4])),
  );
}

function sorted(e: EnforcerElements): EnforcerElements {
  const byJson = <T>(items: T[]): T[] =>
    [...items].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return {
    antiSpoof: byJson(e.antiSpoof),
    tags: byJson(e.tags),
    tcpPorts: byJson(e.tcpPorts),
    udpPorts: byJson(e.udpPorts),
    tcpRanges: byJson(e.tcpRanges),
    udpRanges: byJson(e.udpRanges),
    hostServices: byJson(e.hostServices),
    proxyForwards: byJson(e.proxyForwards),
    peerHosts: byJson(e.peerHosts),
  };
}

/** One exchange from the test process, i.e. from the host, the way the proxy reaches an app. */
function hostExchange(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write('ping'));
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString());
    });
    socket.once('error', reject);
  });
}

async function listenTcp(host: string, label: string): Promise<number> {
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('data', (chunk) => socket.write(`${label}:${chunk.toString()}`));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  // A cut flow leaves the host end open (nothing tells it), and close() would wait for it forever.
  cell.onCleanup(() => {
    for (const socket of open) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

async function listenUdp(host: string, port: number, label: string): Promise<void> {
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(`${label}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(port, host, resolve));
  cell.onCleanup(() => new Promise<void>((resolve) => socket.close(resolve)));
}

async function findHostIp(): Promise<string | null> {
  const links = JSON.parse(await sh('ip', '-j', '-4', 'addr', 'show', 'scope', 'global')) as {
    ifname: string;
    addr_info: { local: string }[];
  }[];
  const candidates = links.filter(
    (l) => !l.ifname.startsWith('wg') && !l.ifname.startsWith(cell.ifacePrefix),
  );
  return (
    candidates.flatMap((l) => l.addr_info.map((a) => a.local)).find((ip) => !ip.startsWith('10.77.')) ?? null
  );
}

describe('enforcer in the kernel', { timeout: 180_000 }, () => {
  before(async () => {
    const forwardingWas = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
    cell.onCleanup(() => writeFile('/proc/sys/net/ipv4/ip_forward', forwardingWas));
    cell.onCleanup(() => enforcer.remove());
    // Started before the test process moves into its cgroup, so it stays outside.
    hostAgent = await cell.addHostAgent('host');
    cellCgroup = await enterCellCgroup(table);
    cell.onCleanup(() => cellCgroup.leave());
    await cell.addGateway();
    hostIp = await findHostIp();

    hostPorts.service = await listenTcp(gatewayIp, 'host-service');
    await listenUdp(gatewayIp, hostPorts.service, 'host-service');
    hostPorts.proxyB = await listenTcp(gatewayIp, 'proxy-b1');
    hostPorts.proxyC = await listenTcp(gatewayIp, 'proxy-c1');
    // Not a host service: containers must not reach it on any host address.
    hostPorts.forbidden = await listenTcp('0.0.0.0', 'forbidden');

    for (const [name, host] of [
      ['a1', 2],
      ['a2', 3],
      ['b1', 4],
      ['c1', 5],
    ] as const) {
      const c = await cell.addContainer(name, `${subnet}.${host}`);
      for (const port of [7000, 8080, 9000, 9002, 9003]) await c.agent.request('serveTcp', { port });
      await c.agent.request('serveUdp', { port: 5353 });
    }
    await enforcer.apply(desired(BASE_POLICIES));
  });

  after(() => cell.cleanup());

  test('the kernel holds exactly the planned elements', async () => {
    assert.deepEqual(sorted(await enforcer.listElements()), sorted(elementsOf(desired(BASE_POLICIES))));
  });

  test('containers reach each other only where a policy allows: single port, range, udp, same app', async () => {
    await assertReachability([
      ['a1', 'tcp', 'b1', 8080, true],
      ['a2', 'tcp', 'b1', 8080, true],
      ['a1', 'tcp', 'b1', 9000, true],
      ['a1', 'tcp', 'b1', 9002, true],
      ['a1', 'tcp', 'b1', 9003, false],
      ['a1', 'tcp', 'b1', 7000, false],
      ['a1', 'udp', 'b1', 5353, true],
      ['c1', 'udp', 'b1', 5353, false],
      ['a1', 'tcp', 'a2', 7000, true],
      ['a2', 'tcp', 'a1', 7000, true],
      ['a1', 'tcp', 'a2', 8080, false],
      ['b1', 'tcp', 'a1', 8080, false],
      ['b1', 'tcp', 'a1', 7000, false],
      ['b1', 'udp', 'a1', 5353, false],
      ['b1', 'tcp', 'c1', 8080, false],
      ['c1', 'tcp', 'b1', 8080, false],
      ['a1', 'tcp', 'c1', 8080, true],
    ]);
  });

  test('port 61443 has its own policy, judged before DNAT, and lands on the proxy listener', async () => {
    await assertReachability([
      ['c1', 'tcp', 'b1', 61443, true],
      ['a1', 'tcp', 'b1', 61443, false],
      ['a1', 'tcp', 'c1', 61443, false],
    ]);
    assert.equal(await probe('c1', 'tcp', 'b1', 61443), 'proxy-b1:ping');
  });

  test('containers reach the host only on the gateway for host services', async () => {
    const rows: Expectation[] = [
      ['a1', 'tcp', gatewayIp, hostPorts.service, true],
      ['b1', 'udp', gatewayIp, hostPorts.service, true],
      ['a1', 'tcp', gatewayIp, hostPorts.forbidden, false],
      ['a1', 'tcp', gatewayIp, hostPorts.proxyB, false],
      ['c1', 'tcp', '169.254.0.1', hostPorts.forbidden, false],
    ];
    if (hostIp !== null) rows.push(['a1', 'tcp', hostIp, hostPorts.forbidden, false]);
    await assertReachability(rows);
  });

  test('the cell reaches containers directly, as the proxy does, and through the proxy forwards', async () => {
    assert.equal(await hostExchange(address('b1'), 8080), 'b1:ping');
    assert.equal(await hostExchange(address('b1'), 61443), 'proxy-b1:ping');
  });

  test('another process on the host reaches no container, proxy forward or proxy listener, only host services', async () => {
    const from = (protocol: 'tcp' | 'udp', host: string, port: number) =>
      hostAgent.request<string | null>(protocol === 'tcp' ? 'probeTcp' : 'probeUdp', {
        host,
        port,
        timeoutMs: 1500,
      });
    const rows = [
      ['tcp', address('b1'), 8080],
      ['udp', address('b1'), 5353],
      ['tcp', address('b1'), 61443],
      ['tcp', gatewayIp, hostPorts.proxyB],
      ['tcp', gatewayIp, hostPorts.service],
      ['udp', gatewayIp, hostPorts.service],
    ] as const;
    const seen = await Promise.all(rows.map(([p, host, port]) => from(p, host, port)));
    assert.deepEqual(seen, [null, null, null, null, 'host-service:ping', 'host-service:ping']);
  });

  test('policy changes take effect on running containers', async () => {
    const changed = [
      ...BASE_POLICIES.filter((p) => !(p.startPort === 8080 && p.dstTag === TAG.b)),
      allow('a', 'b', 'tcp', 9003),
      allow('b', 'a', 'udp', 5353),
    ];
    await enforcer.apply(desired(changed));
    await assertReachability([
      ['a1', 'tcp', 'b1', 8080, false],
      ['a1', 'tcp', 'b1', 9003, true],
      ['a1', 'tcp', 'b1', 9002, true],
      ['b1', 'udp', 'a1', 5353, true],
      ['a1', 'tcp', 'c1', 8080, true],
    ]);
    await enforcer.apply(desired(BASE_POLICIES));
    await assertReachability([
      ['a1', 'tcp', 'b1', 8080, true],
      ['a1', 'tcp', 'b1', 9003, false],
      ['b1', 'udp', 'a1', 5353, false],
    ]);
  });

  test('removing a policy cuts the open connections it allowed, proxied ones too, and no others', async () => {
    const a1 = cell.container('a1').agent;
    const c1 = cell.container('c1').agent;
    const inRange = await a1.request<number | null>('open', { host: address('b1'), port: 9002 });
    const other = await a1.request<number | null>('open', { host: address('c1'), port: 8080 });
    const proxied = await c1.request<number | null>('open', { host: address('b1'), port: 61443 });
    assert.ok(inRange !== null && other !== null && proxied !== null, 'connections open while allowed');

    await enforcer.apply(desired(BASE_POLICIES.filter((p) => p.startPort !== 9000 && p.startPort !== 61443)));
    const [cut, kept, proxyCut] = await Promise.all([
      a1.request('converse', { conn: inRange, data: 'after' }),
      a1.request('converse', { conn: other, data: 'after' }),
      c1.request('converse', { conn: proxied, data: 'after' }),
    ]);
    assert.deepEqual(cut, { closed: 'ECONNRESET' });
    assert.deepEqual(kept, { reply: 'c1:after' });
    assert.deepEqual(proxyCut, { closed: 'ECONNRESET' });
    await assertReachability([['a1', 'tcp', 'b1', 9002, false]]);
    await enforcer.apply(desired(BASE_POLICIES));
  });

  test('a container cannot send from an address that is not its own', async () => {
    const a1 = cell.container('a1');
    const a2 = cell.container('a2');
    const b1 = cell.container('b1').agent;
    // a2 is of the same app, so without anti-spoofing the policy a→b udp/5353 would let this through.
    await sh('ip', '-n', a1.ns, 'addr', 'add', `${a2.ip}/32`, 'dev', 'eth0');
    try {
      const target = { host: address('b1'), port: 5353 };
      await a1.agent.request('sendUdp', { ...target, localAddress: a2.ip, data: 'spoofed' });
      await a1.agent.request('sendUdp', { ...target, localAddress: a1.ip, data: 'marker' });
      await b1.request('awaitUdp', { port: 5353, data: 'marker' });
      const seen = await b1.request<{ from: string; data: string }[]>('udpSeen', { port: 5353 });
      assert.deepEqual(
        seen.filter((m) => m.data === 'spoofed' || m.data === 'marker'),
        [{ from: a1.ip, data: 'marker' }],
      );
    } finally {
      await sh('ip', '-n', a1.ns, 'addr', 'del', `${a2.ip}/32`, 'dev', 'eth0');
    }
  });

  test('concurrent applies land in call order', async () => {
    const first = enforcer.apply(desired([]));
    const second = enforcer.apply(desired(BASE_POLICIES.slice(0, 2)));
    const third = enforcer.apply(desired(BASE_POLICIES));
    await Promise.all([first, second, third]);
    assert.deepEqual(sorted(await enforcer.listElements()), sorted(elementsOf(desired(BASE_POLICIES))));
  });

  test('a table deleted behind its back is rebuilt on the next apply', async () => {
    await sh('nft', 'delete', 'table', 'inet', table);
    await enforcer.apply(desired(BASE_POLICIES.slice(1)));
    assert.deepEqual(
      sorted(await enforcer.listElements()),
      sorted(elementsOf(desired(BASE_POLICIES.slice(1)))),
    );
    await assertReachability([['a1', 'tcp', 'b1', 8080, false]]);
  });

  test('a state growing past the room of its build (10, 600, 1,500 apps) is rebuilt, never sent as a delta the kernel refuses', async () => {
    const withApps = (count: number): EnforcerDesired => {
      const base = desired(BASE_POLICIES);
      const apps = Array.from({ length: count }, (_, i) => ({
        ip: `10.77.${240 + (i >> 8)}.${i & 255}`,
        tag: 5000 + i,
      }));
      return { ...base, tags: [...base.tags, ...apps] };
    };
    const built: unknown[] = [];
    const warnings: unknown[] = [];
    const logger = {
      info: (o: unknown) => built.push(o),
      debug: () => {},
      warn: (_o: unknown, msg?: string) => warnings.push(msg),
    };
    const growing = new Enforcer({ table, logger });
    for (const count of [10, 600, 1500]) await growing.apply(withApps(count));
    assert.deepEqual(warnings, []);
    assert.equal(built.length, 2, 'the first build and one rebuild');
    assert.deepEqual(sorted(await growing.listElements()), sorted(elementsOf(withApps(1500))));
    await assertReachability([['a1', 'tcp', 'b1', 8080, true]]);
    await growing.apply(desired(BASE_POLICIES));
  });

  test('a large table is built in stages when absent, replaced whole when present, rebuilt when it outgrows its sets', async () => {
    const many = Array.from({ length: 50_000 }, (_, i) => ({
      srcTag: 1000 + (i % 500),
      dstTag: 2000 + Math.floor(i / 500),
      protocol: 'tcp' as const,
      startPort: 8080,
      endPort: 8080,
    }));
    const big = desired([...BASE_POLICIES, ...many]);
    // A cell that restarts finds its table still in the kernel and must replace it in one transaction.
    const restarted = new Enforcer({ table });
    await restarted.apply(big);
    assert.deepEqual(sorted(await restarted.listElements()), sorted(elementsOf(big)));
    await restarted.remove();

    const built: unknown[] = [];
    const logger = { info: (o: unknown) => built.push(o), debug: () => {}, warn: () => {} };
    const fresh = new Enforcer({ table, logger });
    await fresh.apply(big);
    assert.deepEqual(built, [
      { table, elements: elementCount(elementsOf(big)), stages: Math.min(availableParallelism(), 2) },
    ]);
    assert.deepEqual(sorted(await fresh.listElements()), sorted(elementsOf(big)));
    await assertReachability([
      ['a1', 'tcp', 'b1', 8080, true],
      ['b1', 'tcp', 'a1', 8080, false],
    ]);

    const crowded = {
      ...big,
      tags: [
        ...big.tags,
        ...Array.from({ length: 1500 }, (_, i) => ({
          ip: `10.77.${250 + (i >> 8)}.${i & 255}`,
          tag: 5000 + i,
        })),
      ],
    };
    await fresh.apply(crowded);
    assert.deepEqual(sorted(await fresh.listElements()), sorted(elementsOf(crowded)));
    await assertReachability([['a1', 'tcp', 'b1', 8080, true]]);
  });

  test('remove deletes the table', async () => {
    await enforcer.remove();
    assert.doesNotMatch(await sh('nft', 'list', 'tables'), new RegExp(`\\b${table}\\b`));
  });
});
