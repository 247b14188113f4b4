// 15. Rescheduling: a cell is killed → every instance it ran answers again on another cell, on 8080 and
// 61443. Two "hosts" are network namespaces on a veth: `weft up` (control plane and cell-1) on one, a
// `weft cell` (cell-2) on the other.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../src/cells/duration.js';
import type { Scope } from './lib/cleanup.js';
import { startProbe, type NetnsProbe } from './lib/netns-probe.js';
import { daemon, sh, sleep, waitForLine } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentileOf, summarize } from './lib/stats.js';
import { HTTP_APP, netnsOf } from './lib/weft-up.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEFT = path.join(ROOT, 'bin/weft');
const LOST_AFTER_MS = 2_000;
const HEARTBEAT = '500ms';
const OVERLAY = '10.94.0.0/16';
const INSTANCES = 2;

interface Instance {
  guid: string;
  index: number;
  state: string;
  ip: string | null;
}

interface Hosts {
  names: [string, string];
  subnet: string;
  homes: [string, string];
  /** Runs a command on host `h` (nsenter into its network namespace). */
  on(h: 0 | 1, file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
}

async function makeHosts(scope: Scope): Promise<Hosts> {
  const tag = `${process.pid % 10000}`;
  const names: [string, string] = [`rs${tag}a`, `rs${tag}b`];
  const subnet = `172.29.${(process.pid % 200) + 20}`;
  // Outside /tmp: containers get a private /tmp and could not see their app or credentials there.
  const work = mkdtempSync('/var/tmp/weft-bench-reschedule-');
  scope.defer(`rm ${work}`, () => rmSync(work, { recursive: true, force: true }));
  for (const h of names) {
    await sh('ip', ['netns', 'add', h]);
    scope.defer(`netns ${h}`, () => sh('ip', ['netns', 'del', h]));
  }
  await sh('ip', ['link', 'add', `${names[0]}v`, 'type', 'veth', 'peer', 'name', `${names[1]}v`]);
  for (const [i, h] of names.entries()) {
    await sh('ip', ['link', 'set', `${h}v`, 'netns', h]);
    await sh('ip', ['-n', h, 'addr', 'add', `${subnet}.${i + 1}/24`, 'dev', `${h}v`]);
    await sh('ip', ['-n', h, 'link', 'set', `${h}v`, 'up']);
    await sh('ip', ['-n', h, 'link', 'set', 'lo', 'up']);
  }
  const homes: [string, string] = [path.join(work, 'h1'), path.join(work, 'h2')];
  const cliConfig = path.join(work, 'cli.json');
  return {
    names,
    subnet,
    homes,
    on: (h, file, args, env = {}) =>
      sh('nsenter', [
        `--net=/run/netns/${names[h]}`,
        '--',
        'env',
        ...envArgs({ WEFT_HOME: homes[h], WEFT_CLI_CONFIG: cliConfig, ...env }),
        file,
        ...args,
      ]),
  };
}

function envArgs(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

/** Starts a weft daemon on host `h`; stopped with SIGTERM (and its --cleanup) when the scope closes. */
async function startDaemon(scope: Scope, hosts: Hosts, h: 0 | 1, args: string[], ready: RegExp) {
  const child = daemon(scope, 'nsenter', [`--net=/run/netns/${hosts.names[h]}`, '--', WEFT, ...args], {
    env: { ...process.env, WEFT_HOME: hosts.homes[h] },
  });
  scope.defer(`stop weft on host ${h}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  await waitForLine(child, ready, 90_000);
  return child;
}

export const reschedule: Scenario = {
  id: '11',
  title: 'Rescheduling: a cell killed → every instance it ran answers again on another cell',
  method: `
Two hosts as network namespaces on one veth: \`weft up --cell-lost-after ${formatDuration(LOST_AFTER_MS)}\`
(control plane and cell-1) on one, \`weft cell --heartbeat-interval ${HEARTBEAT}\` (cell-2) on the other, both
heart-beating every ${HEARTBEAT}. app-a runs on cell-1 with a probe in its network namespace. Per round: cell-2
starts (afresh, removing what the last round's killed cell left), an app of ${INSTANCES} instances is pushed
(examples/http-app) with tcp/8080 and tcp/61443 policies from app-a, and waits until its instances placed on
cell-2 run; then cell-2's process is killed with SIGKILL (its containers keep running, out of its hands: no
cell speaks for them). The time runs from the kill until every instance of the app has an address of cell-1's
lease (GET /v1/apps/:guid/instances every 50 ms) and answers app-a's probe by that address on 8080 (HTTP 200)
and on 61443 (HTTPS 200, verified against the platform CA). It is --cell-lost-after (the silence the control
plane waits out; every server sweeps a few times per --cell-lost-after) plus one instance start on cell-1.
Peer: Diego declares a cell lost after its presence TTL expires (default 10 s, plus the convergence interval
of 30 s in the worst case) before the auctioneer places the instances again.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 2 : 4;
    const hosts = await makeHosts(scope);
    const cli = (...args: string[]) => hosts.on(0, WEFT, args);
    const cniSocket = (h: 0 | 1) => path.join(hosts.homes[h], 'cni.sock');
    const api = `https://${hosts.subnet}.1:9090`;
    await startDaemon(
      scope,
      hosts,
      0,
      ['up', '--cleanup', '--id', 'cell-1', '--listen', `${hosts.subnet}.1:9090`, '--overlay', OVERLAY]
        .concat(['--cell-lost-after', formatDuration(LOST_AFTER_MS), '--heartbeat-interval', HEARTBEAT])
        .concat(['--cni-socket', cniSocket(0), '--table', 'wbrs1', '--iface-prefix', 'brs1']),
      /weft is up/,
    );
    const caFile = path.join(hosts.homes[0], 'ca', 'ca.crt');
    const token = (await sh('cat', [path.join(hosts.homes[0], 'admin-token')])).trim();
    const tokenFile = path.join(hosts.homes[0], '..', 'cell-2.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const headers = path.join(hosts.homes[0], '..', 'headers');
    writeFileSync(headers, `authorization: Bearer ${token}\n`, { mode: 0o600 });
    const get = async <T>(urlPath: string): Promise<T> =>
      JSON.parse(
        await hosts.on(0, 'curl', ['-sSf', '--cacert', caFile, '-H', `@${headers}`, `${api}${urlPath}`]),
      ) as T;
    const startCell2 = () =>
      startDaemon(
        scope,
        hosts,
        1,
        ['cell', '--cleanup', '--id', 'cell-2', '--api', api, '--ca-cert', caFile, '--token-file', tokenFile]
          .concat(['--heartbeat-interval', HEARTBEAT, '--cni-socket', cniSocket(1)])
          .concat(['--table', 'wbrs2', '--iface-prefix', 'brs2']),
        /running/,
      );

    await cli('api', api, '--ca-cert', caFile);
    await cli('login', '--token', token);
    await cli('create-org', 'o');
    await cli('create-space', 's', '-o', 'o');
    await cli('target', '-o', 'o', '-s', 's');
    await cli('push', 'app-a', '-p', HTTP_APP, '-c', 'node server.js', '-i', '1');
    const appA = (await cli('app', 'app-a', '--guid')).trim();
    const [a] = await until(() => running(get, appA, 1));
    const cell1 = (await get<{ id: string; subnet: string }[]>('/v1/cells')).find((c) => c.id === 'cell-1');
    if (!cell1) throw new Error('cell-1 is not registered');
    const lease1 = cell1.subnet.split('.').slice(0, 3).join('.') + '.';
    const probe = await startProbe(scope, netnsOf(a!.guid), caFile);

    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cell2 = await startCell2();
      const name = `moving-${round}`;
      await cli('push', name, '-p', HTTP_APP, '-c', 'node server.js', '-i', String(INSTANCES));
      const guid = (await cli('app', name, '--guid')).trim();
      await cli('add-network-policy', 'app-a', name, '--protocol', 'tcp', '--port', '8080');
      await cli('add-network-policy', 'app-a', name, '--protocol', 'tcp', '--port', '61443');
      await until(() => running(get, guid, INSTANCES));
      const killed = performance.now();
      cell2.kill('SIGKILL');
      const moved = await until(async () => {
        const all = await running(get, guid, INSTANCES);
        return all?.every((i) => i.ip.startsWith(lease1)) === true ? all : undefined;
      });
      await Promise.all(moved.flatMap((i) => answers(probe, i)));
      times.push(performance.now() - killed);
      console.log(`   round ${round + 1}: ${fmt(times.at(-1))} ms`);
    }
    // The last killed cell's containers are removed by a cell starting there again, then stopping.
    await startCell2();
    figures.push({
      metric: `cell killed → every instance answers again on another cell (8080 and 61443), --cell-lost-after ${formatDuration(LOST_AFTER_MS)}`,
      unit: 'ms',
      better: 'lower',
      weft: summarize(times),
      note: `p50 ${fmt(percentileOf(times, 50))} ms, p99 ${fmt(percentileOf(times, 99))} ms over ${rounds} rounds; minus --cell-lost-after: p50 ${fmt(percentileOf(times, 50) - LOST_AFTER_MS)} ms`,
    });
  },
};

async function running(
  get: <T>(p: string) => Promise<T>,
  appGuid: string,
  count: number,
): Promise<(Instance & { ip: string })[] | undefined> {
  const list = await get<Instance[]>(`/v1/apps/${appGuid}/instances`);
  const up = list.filter((i): i is Instance & { ip: string } => i.state === 'RUNNING' && i.ip !== null);
  return up.length === count ? up : undefined;
}

function answers(probe: NetnsProbe, i: { guid: string; ip: string }): Promise<number>[] {
  return [
    probe.request({ op: 'http', host: i.ip, port: 8080 }),
    probe.request({ op: 'https', host: i.ip, port: 61443, servername: i.guid }),
  ];
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  const end = performance.now() + 120_000;
  while (performance.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error('not within 120 s');
}
