// Stopping a real `weft up` the way a terminal (Ctrl-C) or systemd (KillMode=control-group) does: a signal
// to every process of its group, and another while it is still stopping. With --cleanup nothing may be left
// behind; without it, or after a SIGKILL, the containers keep running and the next cell adopts them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { allCgroupMounts } from '../../../src/runtime/cgroup.js';
import { currentMountPoints } from '../../../src/runtime/mountinfo.js';
import { netnsPoolPrefix } from '../../../src/network/netns-pool.js';
import { run, waitFor, WeftHost } from '../../helpers/weft-host.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
// Ignores SIGTERM and SIGINT as an app draining its work would: the cell waits out the grace time and then
// kills it, so the second signal below lands while the cleanup is under way.
const SLOW_TO_STOP =
  `exec node -e 'for (const s of ["SIGTERM", "SIGINT"]) process.on(s, () => {});` +
  ` require("node:http").createServer((q, r) => r.end("ok")).listen(8080)'`;

interface Proc {
  pid: number;
  /** Start time in clock ticks since boot: a PID reused by a later process does not match. */
  start: string;
}

/** What a container was made of: its processes (the unshare that made it, its init, the app and below). */
interface ContainerTrace {
  guid: string;
  netns: string;
  netnsLink: string;
  procs: Proc[];
}

function stat(pid: number): { ppid: number; start: string; zombie: boolean } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), start: fields[19] ?? '', zombie: fields[0] === 'Z' };
}

function children(pid: number): number[] {
  const tasks = fs.readdirSync(`/proc/${pid}/task`, { withFileTypes: true });
  return tasks.flatMap((t) =>
    fs
      .readFileSync(`/proc/${pid}/task/${t.name}/children`, 'utf8')
      .split(' ')
      .filter((p) => p.trim() !== '')
      .map(Number),
  );
}

function tree(pid: number): number[] {
  return [pid, ...children(pid).flatMap(tree)];
}

function alive(p: Proc): boolean {
  const now = stat(p.pid);
  return now !== undefined && !now.zombie && now.start === p.start;
}

function traceContainers(host: WeftHost): ContainerTrace[] {
  const dir = path.join(host.home, 'cell/instances');
  return fs
    .readdirSync(dir)
    .sort()
    .map((guid) => {
      const state = JSON.parse(fs.readFileSync(path.join(dir, guid, 'state.json'), 'utf8')) as {
        pid: number;
        netns: string;
      };
      const init = stat(state.pid);
      assert.ok(init, `container init ${state.pid} of ${guid} runs`);
      // The runtime detached the container: its init has no weft or runtime process above it.
      const pids = [state.pid, ...tree(state.pid)];
      return {
        guid,
        netns: state.netns,
        netnsLink: fs.readlinkSync(`/proc/${state.pid}/ns/net`),
        procs: pids.map((pid) => ({ pid, start: stat(pid)?.start ?? '' })),
      };
    });
}

/** Every process of the host whose network namespace is one of the containers'. */
function processesIn(netnsLinks: Set<string>): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (netnsLinks.has(fs.readlinkSync(`/proc/${entry}/ns/net`))) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or a kernel thread.
    }
  }
  return found;
}

/** The HAProxy processes started with a configuration under this host's home. */
function haproxyOf(host: WeftHost): number[] {
  return fs.readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      return path.basename(argv[0] ?? '') === 'haproxy' && argv.some((a) => a.startsWith(host.home))
        ? [Number(entry)]
        : [];
    } catch {
      return [];
    }
  });
}

const cgroupRoots = () => allCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8'));

function cgroupDirs(guids: string[]): string[] {
  return cgroupRoots().flatMap((r) => guids.map((g) => path.join(r, 'weft', g)));
}

/** The containers' parent cgroups left in any hierarchy with no container of any cell's under them. */
function emptyCgroupParents(): string[] {
  return cgroupRoots()
    .map((r) => path.join(r, 'weft'))
    .filter((d) => fs.existsSync(d))
    .filter((d) => !fs.readdirSync(d, { withFileTypes: true }).some((e) => e.isDirectory()));
}

/** Everything of this host's that is still there: processes, namespaces, links, routes, table, cgroups, mounts. */
async function leftovers(host: WeftHost, traces: ContainerTrace[]): Promise<string[]> {
  const left: string[] = [];
  for (const t of traces) {
    for (const p of t.procs.filter(alive)) left.push(`process ${p.pid} of container ${t.guid}`);
    if (fs.existsSync(`/run/netns/${t.netns}`)) left.push(`network namespace ${t.netns}`);
  }
  for (const pid of processesIn(new Set(traces.map((t) => t.netnsLink))))
    left.push(`process ${pid} in a container's network namespace`);
  const links = (await run('ip', ['-o', 'link'])).stdout
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n.startsWith(host.ifacePrefix));
  left.push(...links.map((l) => `link ${l}`));
  const overlayPrefix = host.overlay.split('.').slice(0, 2).join('.') + '.';
  const routes = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout.split('\n');
  left.push(...routes.filter((r) => r.includes(overlayPrefix)).map((r) => `route ${r}`));
  if ((await run('nft', ['list', 'table', 'inet', host.table])).code === 0) left.push(`table ${host.table}`);
  const cgroups = cgroupDirs(traces.map((t) => t.guid)).filter((d) => fs.existsSync(d));
  left.push(...cgroups.map((d) => `cgroup ${d}`));
  left.push(...emptyCgroupParents().map((d) => `empty cgroup parent ${d}`));
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  left.push(...mounts.filter((m) => traces.some((t) => m.includes(t.guid))).map((m) => `mount ${m}`));
  // The writable layers the cell mounted ahead for starts to come go with it, whether or not it cleans up.
  const pool = path.join(host.home, 'cell', 'layer-pool');
  left.push(...(await currentMountPoints()).filter((m) => m.startsWith(`${pool}/`)).map((m) => `mount ${m}`));
  // And its HAProxy, which the cell starts as it comes up (its configuration lives under the host's home).
  left.push(...haproxyOf(host).map((pid) => `haproxy ${pid}`));
  // So do the network namespaces it made ahead.
  const poolNetns = netnsPoolPrefix(host.ifacePrefix);
  left.push(
    ...fs
      .readdirSync('/run/netns')
      .filter((n) => n.startsWith(poolNetns))
      .map((n) => `netns ${n}`),
  );
  return left;
}

async function pushSlowToStop(host: WeftHost, name: string): Promise<void> {
  const app = path.join(ROOT, 'examples', 'http-app');
  await host.cliOk('push', name, '-p', app, '-c', SLOW_TO_STOP, '-i', '2');
}

/** Signals the group, and again once the cell says it is stopping. */
async function signalTwice(host: WeftHost, signal: NodeJS.Signals): Promise<void> {
  host.signalGroup(signal);
  await waitFor(
    'the cell to start stopping',
    () => (host.logTail(200).includes('stopping the cell') ? true : undefined),
    60_000,
  );
  host.signalGroup(signal);
}

/** After a failure: what the host's own sweep cannot find once the cell removed the instances' files. */
async function sweepTraces(traces: ContainerTrace[]): Promise<void> {
  for (const p of traces.flatMap((t) => t.procs).filter(alive)) process.kill(p.pid, 'SIGKILL');
  for (const t of traces.filter((t) => fs.existsSync(`/run/netns/${t.netns}`)))
    await run('ip', ['netns', 'del', t.netns]);
  for (const dir of cgroupDirs(traces.map((t) => t.guid))) {
    if (fs.existsSync(dir)) fs.rmdirSync(dir);
  }
}

describe('stopping weft up with a signal to its whole process group', () => {
  let host: WeftHost | undefined;
  let traces: ContainerTrace[] = [];

  afterEach(async () => {
    await host?.shutdown();
    await sweepTraces(traces);
    host = undefined;
    traces = [];
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`with --cleanup, ${signal} twice to the group leaves no container, namespace, link, table or cgroup`, async () => {
      host = await WeftHost.start({ cleanup: true });
      await pushSlowToStop(host, 'slow');
      await host.waitRunning('slow', 2);
      traces = traceContainers(host);
      assert.equal(traces.length, 2);

      await signalTwice(host, signal);
      const exit = await host.exited();

      assert.deepEqual(await leftovers(host, traces), [], host.logTail());
      assert.deepEqual(exit, { code: 0, signal: null }, host.logTail());
      assert.match(host.logTail(200), /still cleaning up/);
    });
  }

  test('the cell’s HAProxy runs before any app does, and a signal while it loads leaves none behind', async () => {
    host = await WeftHost.start({ cleanup: true });
    const started = host;
    await waitFor('the cell’s HAProxy', () => (haproxyOf(started).length > 0 ? true : undefined), 60_000);
    host.signalGroup('SIGTERM');
    const exit = await host.exited();

    assert.deepEqual(await leftovers(host, []), [], host.logTail());
    assert.deepEqual(exit, { code: 0, signal: null }, host.logTail());
  });

  test('with --cleanup, a signal while an app is being stopped waits for that stop: nothing is left half-removed', async () => {
    host = await WeftHost.start({ cleanup: true });
    await pushSlowToStop(host, 'slow');
    await host.waitRunning('slow', 2);
    traces = traceContainers(host);

    // The app ignores SIGTERM: its instances take the whole grace period to stop, and the signal comes meanwhile.
    await host.cliOk('stop', 'slow');
    await waitFor(
      'the cell to stop the instances',
      () => (host?.logTail(200).match(/stopping instance/g)?.length === 2 ? true : undefined),
      60_000,
    );
    host.signalGroup('SIGTERM');
    const exit = await host.exited();

    assert.deepEqual(await leftovers(host, traces), [], host.logTail());
    assert.deepEqual(exit, { code: 0, signal: null }, host.logTail());
  });

  test('with --cleanup, SIGINT to the group over and over until weft exits cuts none of its commands short', async () => {
    host = await WeftHost.start({ cleanup: true });
    await host.push('quick', 'http-app', 2);
    await host.waitRunning('quick', 2);
    traces = traceContainers(host);

    // Each signal also reaches whatever `ip`, `nft` or `conntrack` the cell runs at that moment.
    while (host.signalGroup('SIGINT')) await sleep(5);
    const exit = await host.exited();

    assert.deepEqual(await leftovers(host, traces), [], host.logTail());
    assert.deepEqual(exit, { code: 0, signal: null }, host.logTail());
  });

  test('with --cleanup, after SIGKILL the containers stay; the restarted cell adopts them and its stop removes all', async () => {
    host = await WeftHost.start({ cleanup: true });
    await host.push('killed', 'http-app', 2);
    await host.waitRunning('killed', 2);
    traces = traceContainers(host);

    // Node cannot ask the kernel to end the containers with the cell (PR_SET_PDEATHSIG).
    host.signalGroup('SIGKILL');
    await host.exited();
    for (const t of traces) assert.ok(t.procs.every(alive), `container ${t.guid} outlived the cell`);

    await host.launch(true);
    await host.waitRunning('killed', 2);
    assert.deepEqual(
      traceContainers(host).map((t) => t.procs),
      traces.map((t) => t.procs),
    );
    host.signalGroup('SIGTERM');
    await host.exited();
    assert.deepEqual(await leftovers(host, traces), [], host.logTail());
  });

  test('without --cleanup, the containers outlive a group SIGINT and the restarted cell adopts them', async () => {
    host = await WeftHost.start({ cleanup: false });
    await host.push('kept', 'http-app', 2);
    const before = await host.waitRunning('kept', 2);
    traces = traceContainers(host);

    await signalTwice(host, 'SIGINT');
    await host.exited();
    for (const t of traces)
      assert.ok(t.procs.every(alive), `container ${t.guid} kept running while weft was down`);

    await host.launch(true);
    const after = await host.waitRunning('kept', 2);
    assert.deepEqual(
      after.map((i) => i.guid),
      before.map((i) => i.guid),
    );
    const adopted = traceContainers(host);
    assert.deepEqual(
      adopted.map((t) => t.procs),
      traces.map((t) => t.procs),
      'the same container processes serve after the restart',
    );

    host.signalGroup('SIGTERM');
    await host.exited();
    assert.deepEqual(await leftovers(host, traces), [], host.logTail());
  });
});
