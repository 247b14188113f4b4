import { spawn } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { teardownCellNetwork } from '../../../src/network/cell-network.js';
import { pairMacs, unwireContainer, wireContainer } from '../../../src/network/container-network.js';
import { addNamedNetns } from '../../../src/network/named-netns.js';
import {
  checkOverlay,
  nameserversFromResolvConf,
  readHostFacts,
} from '../../../src/network/overlay-choice.js';
import { run } from '../../../src/host/run.js';
import { capture, detachTestNet, testCell, testContainerNet, withCell, withContainerNet } from './fixture.js';

test('the cell network holds the gateway, forwards, and makes unassigned overlay addresses unreachable', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const addrs = JSON.parse(await run(['ip', '-j', 'addr', 'show', 'dev', cell.gatewayIface])) as {
    addr_info: { local: string; prefixlen: number }[];
  }[];
  assert.deepEqual(
    addrs[0]?.addr_info.filter((a) => a.local === cell.gatewayIp).map((a) => a.prefixlen),
    [32],
  );
  const routes = JSON.parse(await run(['ip', '-j', 'route', 'show', cell.subnet])) as { type?: string }[];
  assert.equal(routes[0]?.type, 'unreachable');
  assert.equal((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim(), '1');
});

test("a restarted cell does not mistake its own gateway and routes for the host's", async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  await withContainerNet((fn) => t.after(fn), cell, 1);
  assert.deepEqual(checkOverlay(cell.overlay, await readHostFacts()), []);
});

test('tearing the cell network down removes its link and routes and may be repeated', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  await teardownCellNetwork(cell);
  await teardownCellNetwork(cell);
  assert.notEqual((await capture('ip', ['link', 'show', 'dev', cell.gatewayIface])).code, 0);
  assert.equal((await run(['ip', 'route', 'show', cell.subnet])).trim(), '');
});

test('an attached container has its /32 on eth0, no IPv6, and reaches the gateway via 169.254.0.1', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 1);
  const inNs = (args: string[]) => run(['ip', '-n', net.netns, ...args]);

  const eth0 = JSON.parse(await inNs(['-j', 'addr', 'show', 'dev', 'eth0'])) as {
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  assert.deepEqual(
    eth0[0]?.addr_info.map((a) => `${a.family} ${a.local}/${a.prefixlen}`),
    [`inet ${net.ip}/32`],
  );
  const defaults = JSON.parse(await inNs(['-j', 'route', 'show', 'default'])) as {
    gateway: string;
    prefsrc: string;
  }[];
  assert.deepEqual(
    defaults.map((r) => [r.gateway, r.prefsrc]),
    [['169.254.0.1', net.ip]],
  );
  // No ARP across the pair: each end's entry for the other is static, with the MAC its address gives.
  type Neigh = { dst: string; lladdr: string; state: string[] }[];
  const macs = pairMacs(net.ip);
  const inside = JSON.parse(await inNs(['-j', 'neigh', 'show', 'dev', 'eth0'])) as Neigh;
  assert.deepEqual(
    inside.map((n) => [n.dst, n.lladdr, n.state]),
    [['169.254.0.1', macs.host, ['PERMANENT']]],
  );
  const outside = JSON.parse(await run(['ip', '-j', 'neigh', 'show', 'dev', net.hostIface])) as Neigh;
  assert.deepEqual(
    outside.map((n) => [n.dst, n.lladdr, n.state]),
    [[net.ip, macs.container, ['PERMANENT']]],
  );
  const server = createServer((c) => c.end('hello from the gateway\n'));
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, cell.gatewayIp, resolve));
  const { port } = server.address() as AddressInfo;
  const got = await capture('ip', [
    'netns',
    'exec',
    net.netns,
    'curl',
    '-sS',
    '-m',
    '2',
    `telnet://${cell.gatewayIp}:${port}`,
  ]);
  assert.equal(got.stdout, 'hello from the gateway\n', got.stderr);
});

interface NetnsEvents {
  /** Everything seen once `mark` is; null if it is not within `ms`. */
  until(mark: RegExp, ms: number): Promise<string | null>;
}

/**
 * Every link and address event of a namespace, one per line. `ip monitor` gives no sign that it listens,
 * so links are made until it reports one: from then on it misses nothing (marks the end of the watch).
 */
async function watchNetns(t: TestContext, netns: string): Promise<NetnsEvents> {
  const monitor = spawn('ip', ['-n', netns, '-o', 'monitor', 'link', 'address'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => monitor.kill('SIGKILL'));
  let seen = '';
  const waiting = new Set<() => void>();
  monitor.stdout.setEncoding('utf8').on('data', (d: string) => {
    seen += d;
    for (const w of waiting) w();
  });
  const events: NetnsEvents = {
    until: (mark, ms) =>
      new Promise((resolve) => {
        const check = () => {
          if (!mark.test(seen)) return;
          finish();
          resolve(seen);
        };
        const timer = setTimeout(() => (finish(), resolve(null)), ms);
        const finish = () => (clearTimeout(timer), waiting.delete(check));
        waiting.add(check);
        check();
      }),
  };
  for (let i = 0; i < 50; i++) {
    await run(['ip', '-n', netns, 'link', 'add', `start${i}`, 'type', 'veth', 'peer', 'name', `start${i}p`]);
    if ((await events.until(new RegExp(`start${i}\\b`), 200)) !== null) return events;
  }
  throw new Error(`ip monitor in ${netns} reported none of 50 links made`);
}

test('a wired namespace never holds an IPv6 address, not even for a moment, and sends no IPv6 packet', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = testContainerNet(cell, 5);
  t.after(() => detachTestNet(net));
  await addNamedNetns(net.netns);
  const ipv6Out =
    'table inet weft_it_v6 { chain out { type filter hook output priority 0; meta nfproto ipv6 counter; }; }';
  await run(['ip', 'netns', 'exec', net.netns, 'nft', '-f', '-'], ipv6Out);
  const events = await watchNetns(t, net.netns);
  await wireContainer(net);
  // A link removed after the wiring marks where the monitor's view ends.
  await run(['ip', '-n', net.netns, 'link', 'add', 'mark0', 'type', 'veth', 'peer', 'name', 'mark1']);
  await run(['ip', '-n', net.netns, 'link', 'del', 'mark0']);
  const seen = await events.until(/Deleted[^\n]*mark0/, 30_000);
  assert.ok(seen !== null, 'the monitor did not report the end mark within 30 s');

  assert.match(seen, /eth0/, 'the monitor saw the wiring');
  assert.doesNotMatch(seen, /inet6/);
  assert.equal((await run(['ip', '-n', net.netns, '-6', 'addr'])).trim(), '');
  const sysctl = await run([
    'ip',
    'netns',
    'exec',
    net.netns,
    'sysctl',
    '-n',
    'net.ipv6.conf.eth0.disable_ipv6',
    'net.ipv6.conf.lo.disable_ipv6',
  ]);
  assert.deepEqual(sysctl.trim().split('\n'), ['1', '1']);
  const counters = await run([
    'ip',
    'netns',
    'exec',
    net.netns,
    'nft',
    'list',
    'table',
    'inet',
    'weft_it_v6',
  ]);
  assert.match(counters, /counter packets 0 bytes 0/);
});

test('unwiring removes the veth pair and the host route and may be repeated', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 2);
  await unwireContainer(net);
  await unwireContainer(net);
  assert.notEqual((await capture('ip', ['-n', net.netns, 'link', 'show', 'dev', 'eth0'])).code, 0);
  assert.notEqual((await capture('ip', ['link', 'show', 'dev', net.hostIface])).code, 0);
  assert.equal((await run(['ip', 'route', 'show', `${net.ip}/32`])).trim(), '');
  await detachTestNet(net);
});

test('a failed wiring leaves no link behind', async (t) => {
  const cell = testCell();
  // No cell network: the host route's source address is not local, so the host side fails half-way.
  const net = testContainerNet(cell, 3);
  t.after(() => detachTestNet(net));
  await addNamedNetns(net.netns);
  await assert.rejects(wireContainer(net), /prefsrc|src|Invalid/i);
  assert.notEqual((await capture('ip', ['link', 'show', 'dev', net.hostIface])).code, 0);
  assert.equal((await run(['ip', '-n', net.netns, '-o', 'link'])).split('\n').filter(Boolean).length, 1);
});

test("wiring refuses the host's own namespace and a pair that exists already", async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 4);
  await assert.rejects(
    wireContainer({ ...net, hostIface: `${net.hostIface}x`, netnsPath: '/proc/self/ns/net' }),
    /host's own namespace/,
  );
  await assert.rejects(wireContainer(net), /exists/);
  // The refused second wiring did not take the first one down.
  assert.equal((await capture('ip', ['link', 'show', 'dev', net.hostIface])).code, 0);
});

test("reads this host's resolvers and routes, so an overlay covering a resolver is refused", async () => {
  const facts = await readHostFacts();
  const resolvers = nameserversFromResolvConf(await readFile('/etc/resolv.conf', 'utf8'));
  assert.ok(resolvers.length > 0, '/etc/resolv.conf names an IPv4 nameserver');
  for (const ip of resolvers) {
    const [a, b] = ip.split('.');
    assert.ok(checkOverlay(`${a}.${b}.0.0/16`, facts).includes(`DNS resolver ${ip} (/etc/resolv.conf)`));
  }
  assert.ok(facts.routes.every((r) => r.dst !== '0.0.0.0/0'));
});
