// Four "hosts" for a multi-host test: network namespaces on one bridge of this machine, each running its
// own `weft cell` against API servers that listen on the bridge. Operators' steps are the CLI's: API URLs,
// login, one cell token per cell, push.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestServer } from '../../helpers/control-plane.js';
import { currentMountPoints } from '../../../src/runtime/mountinfo.js';
import { run, waitFor } from '../../helpers/weft-host.js';

const root = path.resolve(import.meta.dirname, '../../..');
const WEFT = path.join(root, 'bin/weft');
const HOSTS = 4;
const START_MS = 60_000;
const SETTLE_MS = 30_000;

export type Reach = 'ok' | 'refused';

interface Instance {
  guid: string;
  index: number;
  cellId: string;
  state: string;
  ip: string | null;
}

interface Cell {
  id: string;
  netns: string;
  home: string;
  process: ChildProcess | null;
}

export class FourHosts {
  private readonly tag = `${process.pid % 10000}`;
  private readonly subnet = `172.30.${(process.pid % 200) + 20}`;
  private readonly bridge = `w4b${this.tag}`;
  private readonly env: NodeJS.ProcessEnv;
  readonly cells: Cell[];
  private servers: TestServer[] = [];

  /** The platform CA's certificate as an operator hands it to each host: a copy of its own. */
  private readonly caFile: string;

  constructor(private readonly work: string) {
    this.caFile = path.join(work, 'ca.crt');
    this.env = {
      ...process.env,
      WEFT_CLI_CONFIG: path.join(work, 'cli.json'),
      WEFT_LOG_LEVEL: 'warn',
    };
    this.cells = Array.from({ length: HOSTS }, (_, i) => ({
      id: `cell-${i + 1}`,
      netns: `w4${this.tag}h${i + 1}`,
      home: path.join(work, `host-${i + 1}`),
      process: null,
    }));
  }

  /** The bridge's own addresses, one per API server: the "control-plane host" on the LAN. */
  serverAddress(n: number): string {
    return `${this.subnet}.${253 + n}`;
  }

  async wire(): Promise<void> {
    await must('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    for (const n of [0, 1]) {
      await must('ip', ['addr', 'add', `${this.serverAddress(n)}/24`, 'dev', this.bridge]);
    }
    await must('ip', ['link', 'set', this.bridge, 'up']);
    for (const [i, cell] of this.cells.entries()) {
      const [outside, inside] = [`w4${this.tag}r${i + 1}`, `w4${this.tag}v${i + 1}`];
      await must('ip', ['netns', 'add', cell.netns]);
      await must('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      await must('ip', ['link', 'set', outside, 'master', this.bridge, 'up']);
      await must('ip', ['link', 'set', inside, 'netns', cell.netns]);
      await must('ip', ['-n', cell.netns, 'addr', 'add', `${this.subnet}.${i + 1}/24`, 'dev', inside]);
      await must('ip', ['-n', cell.netns, 'link', 'set', inside, 'up']);
      await must('ip', ['-n', cell.netns, 'link', 'set', 'lo', 'up']);
    }
  }

  /** Points the CLI at both servers, logs in as admin, and starts each host's cell with its own token. */
  async start(servers: TestServer[]): Promise<void> {
    this.servers = servers;
    const [first] = servers;
    if (!first) throw new Error('no API server');
    fs.copyFileSync(first.caFile, this.caFile);
    await this.cli('api', servers.map((s) => s.url).join(','), '--ca-cert', this.caFile);
    await this.cli('login', '--token', first.adminToken);
    await Promise.all(this.cells.map((cell) => this.startCell(cell)));
  }

  private async startCell(cell: Cell): Promise<void> {
    fs.mkdirSync(cell.home, { recursive: true });
    const made = await this.cli('create-token', cell.id, '--role', 'cell', '--cell', cell.id);
    const token = /^token:\s+(\S+)$/m.exec(made)?.[1];
    if (!token) throw new Error(`no token in: ${made}`);
    const tokenFile = path.join(cell.home, 'cell.token');
    fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    await this.launchCell(cell);
  }

  private async launchCell(cell: Cell): Promise<void> {
    const tokenFile = path.join(cell.home, 'cell.token');
    const args = [
      ...['cell', '--cleanup', '--id', cell.id, '--api', this.servers.map((s) => s.url).join(',')],
      ...['--ca-cert', this.caFile, '--token-file', tokenFile, '--heartbeat-interval', '500ms'],
      // The hosts share this machine's /run: each cell serves the CNI plugin on its own socket.
      ...['--cni-socket', path.join(cell.home, 'cni.sock')],
    ];
    // nsenter, not `ip netns exec`: that one mounts a fresh /sys whose cgroups are not the machine's.
    const child = spawn('nsenter', [`--net=/run/netns/${cell.netns}`, '--', WEFT, ...args], {
      env: { ...this.env, WEFT_HOME: cell.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cell.process = child;
    let out = '';
    let err = '';
    const log = fs.createWriteStream(path.join(cell.home, 'cell.log'), { flags: 'a' });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err = (err + d).slice(-4000);
      log.write(d);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cell.id} did not start: ${err}`)), START_MS);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes(`weft cell ${cell.id} running`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${cell.id} exited (${code}): ${err}`));
      });
    });
  }

  /**
   * The host dies: its cell and every container on it are killed at once, and it drops off the LAN. Its
   * kernel state (namespaces, links, tables) stays, as a host that comes back from a crash finds none of
   * its processes but may find its disks.
   */
  async killHost(n: number): Promise<void> {
    const cell = this.cells[n];
    if (!cell) throw new Error(`no host ${n}`);
    cell.process?.kill('SIGKILL');
    await stopProcess(cell.process);
    const runtime = path.join(cell.home, 'cell', 'runtime');
    for (const id of (await run('runc', ['--root', runtime, 'list', '-q'])).stdout.split('\n')) {
      if (id.trim() !== '') await run('runc', ['--root', runtime, 'kill', id.trim(), 'KILL']);
    }
    await must('ip', ['-n', cell.netns, 'link', 'set', `w4${this.tag}v${n + 1}`, 'down']);
  }

  /** The host is back on the LAN and its cell starts again, from the same home and token. */
  async restartHost(n: number): Promise<void> {
    const cell = this.cells[n];
    if (!cell) throw new Error(`no host ${n}`);
    await must('ip', ['-n', cell.netns, 'link', 'set', `w4${this.tag}v${n + 1}`, 'up']);
    await this.launchCell(cell);
  }

  /** The containers the OCI runtime still holds on a host. */
  async containersOn(n: number): Promise<string[]> {
    const cell = this.cells[n];
    if (!cell) throw new Error(`no host ${n}`);
    const listed = await run('runc', ['--root', path.join(cell.home, 'cell', 'runtime'), 'list', '-q']);
    return listed.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  /** The seed scenario's tenancy and apps: app-a with one instance, app-b with two, each with its route. */
  async seed(): Promise<void> {
    await this.cli('create-org', 'o');
    await this.cli('create-space', 's', '-o', 'o');
    await this.cli('target', '-o', 'o', '-s', 's');
    const app = path.join(root, 'examples/http-app');
    for (const [name, count] of [
      ['app-a', 1],
      ['app-b', 2],
    ] as const) {
      await this.cli('push', name, '-p', app, '-c', 'node server.js', '-i', String(count));
      await this.cli('map-route', name, 'apps.internal', '--hostname', name);
    }
    await this.running('app-a', 1);
    await this.running('app-b', 2);
  }

  /**
   * Waits until the app has `count` running instances, each with an address (and none on the cell
   * `away`), and returns them.
   */
  running(app: string, count: number, timeoutMs = START_MS, away?: string): Promise<Instance[]> {
    return waitFor(
      `${app} to run ${count} instances`,
      async () => {
        const all = (await this.instances(app)).filter((i) => i.cellId !== away);
        const up = all.filter((i) => i.state === 'RUNNING' && i.ip !== null);
        return up.length === count && all.length === count ? up : undefined;
      },
      timeoutMs,
    );
  }

  async instances(app: string): Promise<Instance[]> {
    const guid = (await this.cli('app', app, '--guid')).trim();
    return (await this.api<Instance[]>(`/v1/apps/${guid}/instances`)).sort((x, y) => x.index - y.index);
  }

  /** A GET through whichever server still answers, as the admin. */
  private async api<T>(p: string): Promise<T> {
    let last: unknown = null;
    for (const server of this.servers) {
      try {
        const reply = await server.api<T>('GET', p);
        if (reply.status === 200) return reply.body;
        last = new Error(`GET ${p}: ${reply.status} ${JSON.stringify(reply.body)}`);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(`GET ${p} failed`);
  }

  /** The CLI as an operator runs it on another machine: both API URLs, the admin's login. */
  async cli(...args: string[]): Promise<string> {
    const r = await run(WEFT, args, { env: this.env });
    if (r.code !== 0) throw new Error(`weft ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /**
   * Which URLs one instance reaches (curl verifies 61443 against the platform CA the container trusts).
   * `weft ssh` runs where the operator's CLI runs, off every host: the control plane reaches the instance
   * through the cell that runs it.
   */
  async reachOnce(app: string, index: number, urls: string[]): Promise<Record<string, Reach>> {
    const script = urls
      .map((u) => `curl -sS -m 2 -o /dev/null ${u} 2>/dev/null && echo "${u} ok" || echo "${u} refused"`)
      .join('; ');
    const r = await run(WEFT, ['ssh', app, '-i', String(index), '-c', script], { env: this.env });
    if (r.code !== 0) throw new Error(`ssh ${app}/${index} failed (${r.code}): ${r.stdout}${r.stderr}`);
    const seen: Record<string, Reach> = {};
    for (const line of r.stdout.split('\n')) {
      const [url, verdict] = line.trim().split(' ');
      if (url && (verdict === 'ok' || verdict === 'refused')) seen[url] = verdict;
    }
    return seen;
  }

  /**
   * What the instance reaches once the cells have settled on `expected`: asked again while it differs,
   * so a change still on its way is not taken for a wrong answer; the last answer is returned either way.
   */
  async reach(
    app: string,
    index: number,
    urls: string[],
    expected?: Record<string, Reach>,
  ): Promise<Record<string, Reach>> {
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      const seen = await this.reachOnce(app, index, urls);
      const settled =
        expected === undefined || urls.every((u) => seen[u] === expected[u]) || Date.now() > deadline;
      if (settled) return seen;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async teardown(): Promise<void> {
    await Promise.all(this.cells.map((cell) => stopProcess(cell.process)));
    // A cell stopped with --cleanup unmounts its containers' layers; whatever is left is said, then undone.
    const mounts = (await currentMountPoints()).filter((m) => m.startsWith(`${this.work}/`)).reverse();
    for (const m of mounts) {
      console.log(`# left mounted after the cells stopped: ${m}`);
      await run('umount', [m]);
    }
    for (const cell of this.cells) await run('ip', ['netns', 'del', cell.netns]);
    await run('ip', ['link', 'del', this.bridge]);
  }
}

async function must(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** SIGTERM, and the wait for the cell's cleanup to finish. */
async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
