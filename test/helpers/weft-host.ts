// A real `weft up` on this host for the cell's integration tests: unique overlay, nft table and interface
// prefix per test process, its state in fresh temp dirs, the CLI logged in and targeted, and a sweep that
// removes whatever the run left behind (also after a crash or a stop that hangs).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCellRuntime } from '../../src/cell/containers.js';
import { CellPaths } from '../../src/cell/paths.js';
import { currentCgroup } from '../../src/runtime/cell-cgroup.js';
import {
  deleteContainer,
  listContainers,
  removeContainersCgroupParent,
} from '../../src/runtime/container.js';
import { removeLeftLayers } from '../../src/runtime/layer-pool.js';
import { pinnedFetch as pinnedToCa } from '../../src/ca/pinned-fetch.js';
import { netnsPoolPrefix, removeLeftNetns } from '../../src/network/netns-pool.js';
import { pinnedFetch } from './pinned-fetch.js';
import { freePort } from './ports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WEFT = path.join(ROOT, 'bin/weft');
const UP_DEADLINE_MS = 90_000;
const RUNNING_DEADLINE_MS = 120_000;
const STOP_DEADLINE_MS = 60_000;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface InstanceInfo {
  guid: string;
  index: number;
  state: string;
  ip: string | null;
  since: string;
  stack?: string;
}

export interface StopOutcome {
  /** Whether the process ended by itself after SIGTERM; if not, it was killed once its work was done. */
  exitedOnSigterm: boolean;
}

interface AppInfo {
  guid: string;
  name: string;
  tag: number;
  packageDigest: string | null;
}

/** Runs a command and collects its output; never rejects on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Polls `probe` until it returns a value other than undefined, or throws after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  deadlineMs: number,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${deadlineMs} ms`);
    await sleep(everyMs);
  }
}

function pythonCommand(script: string, args: string[]): string {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const b64 = Buffer.from(script).toString('base64');
  return `printf %s ${b64} | base64 -d >/tmp/script-$$.py && exec python3 /tmp/script-$$.py ${quoted}`;
}

/** A /16 in 10.0.0.0/8 that no route on this host touches; never 10.255 (this machine's resolver). */
export async function freeOverlay(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  const addrs = (await run('ip', ['-4', '-o', 'addr'])).stdout;
  for (;;) {
    const n = 100 + (randomBytes(1)[0]! % 150);
    if (!`${routes}\n${addrs}`.includes(`10.${n}.`)) return `10.${n}.0.0/16`;
  }
}

/** A control plane running elsewhere: the host then runs `weft cell` alone, following it. */
export interface RemoteControlPlane {
  /** Its servers, as `weft cell --api` and `weft api` take them. */
  urls: string[];
  caFile: string;
  token: string;
  /** The overlay the control plane was started with. */
  overlay: string;
}

export class WeftHost {
  readonly work: string;
  /** WEFT_HOME: created by weft itself (outside /tmp, which containers do not share with the host). */
  readonly home: string;
  readonly table: string;
  readonly ifacePrefix: string;
  readonly cliConfig: string;
  url = '';
  token = '';
  /** fetch that trusts this host's platform CA only; set once weft is up. */
  private fetch: ReturnType<typeof pinnedFetch> | null = null;
  private child: ChildProcess | null = null;
  private launches = 0;

  private constructor(
    readonly port: number,
    readonly overlay: string,
    /** More flags for `weft up`. */
    private readonly upArgs: string[],
    private readonly control: RemoteControlPlane | null = null,
  ) {
    const tag = `${process.pid}${randomBytes(2).toString('hex')}`;
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cell-test-'));
    this.home = path.join('/var/tmp', `weft-cell-home-${tag}`);
    this.table = `weft_t${process.pid}`;
    // w + 3 base-36 characters: host veths are the prefix and 8 characters, within Linux's 15.
    this.ifacePrefix = `w${(process.pid % 46_656).toString(36).padStart(3, '0')}`;
    this.cliConfig = path.join(this.work, 'cli.json');
  }

  /** Starts `weft up`, then logs the CLI in and targets a fresh org and space. */
  static async start(
    opts: { cleanup?: boolean; args?: string[]; control?: RemoteControlPlane } = {},
  ): Promise<WeftHost> {
    const { control } = opts;
    const overlay = control?.overlay ?? (await freeOverlay());
    const host = new WeftHost(await freePort(), overlay, opts.args ?? [], control ?? null);
    try {
      await host.launch(opts.cleanup ?? true);
      if (control) {
        await host.cliOk('api', control.urls.join(','), '--ca-cert', control.caFile);
        await host.cliOk('login', '--token', control.token);
      } else {
        await host.cliOk('api', host.url);
        await host.cliOk('login');
      }
      await host.cliOk('create-org', 'cells');
      await host.cliOk('create-space', 'dev', '-o', 'cells');
      await host.cliOk('target', '-o', 'cells', '-s', 'dev');
      return host;
    } catch (err) {
      await host.shutdown();
      throw err;
    }
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, WEFT_HOME: this.home, WEFT_CLI_CONFIG: this.cliConfig, NO_COLOR: '1' };
  }

  /** This cell's weft-cni socket, for the plugin's WEFT_CNI_SOCKET. */
  get cniSocket(): string {
    return path.join(this.work, 'cni.sock');
  }

  /** Where this run's output goes; printed when something fails. */
  get logFile(): string {
    return path.join(this.work, `weft-${this.launches}.log`);
  }

  /** Starts `weft up` (or `weft cell`) on this host's home, port and kernel names (again, after stop()). */
  async launch(cleanup: boolean): Promise<void> {
    this.launches += 1;
    const args = this.control
      ? ['cell', '--api', this.control.urls.join(','), '--ca-cert', this.control.caFile]
      : ['up', '--listen', `127.0.0.1:${this.port}`, '--overlay', this.overlay];
    if (this.control) args.push('--token-file', this.tokenFile(this.control.token));
    args.push('--table', this.table, '--iface-prefix', this.ifacePrefix, '--cni-socket', this.cniSocket);
    if (cleanup) args.push('--cleanup');
    args.push(...this.upArgs);
    const log = fs.openSync(this.logFile, 'w');
    const child = spawn(WEFT, args, {
      cwd: ROOT,
      env: { ...process.env, WEFT_HOME: this.home },
      stdio: ['ignore', 'pipe', log],
      detached: true,
    });
    fs.closeSync(log);
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`weft up not up in time; see ${this.logFile}`)),
        UP_DEADLINE_MS,
      );
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(this.control ? ' running (' : 'weft is up')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`weft up exited (${code}):\n${out}\n${this.logTail()}`));
      });
    });
    if (this.control) {
      this.url = this.control.urls[0] ?? '';
      this.token = this.control.token;
      this.fetch = pinnedToCa(fs.readFileSync(this.control.caFile, 'utf8'));
      return;
    }
    this.url = `https://127.0.0.1:${this.port}`;
    this.token = fs.readFileSync(path.join(this.home, 'admin-token'), 'utf8').trim();
    this.fetch = pinnedFetch(this.home);
  }

  /** Points the helper's own API calls at another server of the control plane. */
  useServer(url: string): void {
    this.url = url;
  }

  /** The cell's token, in a file only root reads, as an operator hands it to a cell host. */
  private tokenFile(token: string): string {
    const file = path.join(this.work, 'cell.token');
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return file;
  }

  /**
   * Signals weft's whole process group, as Ctrl-C in a terminal or systemd's control-group stop do;
   * false when no process of the group was left to receive it.
   */
  signalGroup(signal: NodeJS.Signals): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('weft is not running');
    try {
      process.kill(-pid, signal);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  }

  /** Resolves once weft has ended by itself; the host is then stopped (launch() starts it again). */
  async exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child) throw new Error('weft is not running');
    const exit = await waitFor(
      'weft to exit',
      () => (child.exitCode !== null || child.signalCode !== null ? child : undefined),
      STOP_DEADLINE_MS,
    );
    this.child = null;
    return { code: exit.exitCode, signal: exit.signalCode };
  }

  logTail(lines = 30): string {
    const text = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
    return text.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM, then waits generously for the exit; a process that does not end is killed. */
  async stop(): Promise<StopOutcome> {
    const child = this.child;
    this.child = null;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      return { exitedOnSigterm: true };
    }
    const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
    child.kill('SIGTERM');
    const ended = await Promise.race([exited, sleep(STOP_DEADLINE_MS, false, { ref: false })]);
    if (ended) return { exitedOnSigterm: true };
    process.kill(-child.pid, 'SIGKILL');
    await exited;
    return { exitedOnSigterm: false };
  }

  /** Stops weft and removes everything this host may have left: processes, netns, links, routes, table, dirs. */
  async shutdown(): Promise<void> {
    await this.stop().catch(() => undefined);
    await this.sweep();
    fs.rmSync(this.work, { recursive: true, force: true });
    fs.rmSync(this.home, { recursive: true, force: true });
  }

  /** Network namespaces holding an address of this host's overlay. */
  async namespaces(): Promise<string[]> {
    const names = (await run('ip', ['netns', 'list'])).stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith('weft-'));
    const prefix = this.overlay.split('.').slice(0, 2).join('.') + '.';
    const ours: string[] = [];
    for (const ns of names) {
      const addrs = (await run('ip', ['-n', ns, '-4', '-o', 'addr'])).stdout;
      if (addrs.includes(` ${prefix}`)) ours.push(ns);
    }
    return ours;
  }

  private async sweep(): Promise<void> {
    // The containers first: they hold mounts, cgroups and processes in the namespaces below.
    const cellPaths = new CellPaths(path.join(this.home, 'cell'));
    const runtime = readCellRuntime(cellPaths);
    if (runtime) {
      const host = { runtime, bundles: cellPaths.bundles };
      for (const id of await listContainers(runtime)) await deleteContainer(host, id);
      const bundles = fs.existsSync(host.bundles) ? fs.readdirSync(host.bundles) : [];
      for (const id of bundles) await deleteContainer(host, id);
    }
    await removeLeftLayers(cellPaths.layerPool);
    await removeLeftNetns(netnsPoolPrefix(this.ifacePrefix));
    const instances = path.join(this.home, 'cell/instances');
    const guids = fs.existsSync(instances) ? fs.readdirSync(instances) : [];
    // A namespace whose veth is already gone holds no overlay address; the instance's files still name it.
    const named = guids.map((g) => `weft-${g.replaceAll('-', '').slice(0, 8)}`);
    const namespaces = new Set([
      ...(await this.namespaces()),
      ...named.filter((n) => fs.existsSync(`/run/netns/${n}`)),
    ]);
    for (const ns of namespaces) {
      const pids = (await run('ip', ['netns', 'pids', ns])).stdout.split('\n').filter((p) => p !== '');
      for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      await run('ip', ['netns', 'del', ns]);
    }
    const links = (await run('ip', ['-o', 'link'])).stdout
      .split('\n')
      .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined && n.startsWith(this.ifacePrefix));
    for (const link of links) await run('ip', ['link', 'del', 'dev', link]);
    const prefix = this.overlay.split('.').slice(0, 2).join('.') + '.';
    const routes = (await run('ip', ['-4', 'route', 'show', 'proto', '87'])).stdout.split('\n');
    for (const r of routes.filter((l) => l.includes(prefix))) {
      await run('ip', ['route', 'del', ...r.trim().split(/\s+/)]);
    }
    await run('nft', ['delete', 'table', 'inet', this.table]);
    // The cell's own cgroup, a child of this process's (weft inherits it), left by a cell that was killed.
    const here = await currentCgroup();
    for (const name of fs.readdirSync(here.dir).filter((n) => n.startsWith(`weft-cell-${this.table}-`))) {
      fs.rmdirSync(path.join(here.dir, name));
    }
    // As a cell's stop with --cleanup does: the containers' parent goes once no host's container is in it.
    await removeContainersCgroupParent();
  }

  cli(...args: string[]): Promise<RunResult> {
    return run(WEFT, args, { env: this.env });
  }

  /** Runs a CLI command that must succeed; its output otherwise becomes the error. */
  async cliOk(...args: string[]): Promise<string> {
    const r = await this.cli(...args);
    if (r.code !== 0) throw new Error(`weft ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** `weft ssh APP -i INDEX -c CMD`, as the app's user inside the instance's container. */
  ssh(app: string, cmd: string, opts: { index?: number; input?: string } = {}): Promise<RunResult> {
    const args = ['ssh', app, '-i', String(opts.index ?? 0), '-c', cmd];
    return run(WEFT, args, { env: this.env, ...(opts.input === undefined ? {} : { input: opts.input }) });
  }

  /** Runs a Python script inside the instance; the script travels on the command line, base64-encoded. */
  python(app: string, script: string, args: string[] = [], index = 0): Promise<RunResult> {
    return this.ssh(app, pythonCommand(script, args), { index });
  }

  /** The same, running alongside the test: its stdin is the script's, its output streams. */
  pythonChild(app: string, script: string, args: string[] = [], index = 0): ChildProcess {
    return this.sshChild(app, pythonCommand(script, args), index);
  }

  /** Starts `weft ssh` and hands back the process, for commands that run alongside the test. */
  sshChild(app: string, cmd: string, index = 0): ChildProcess {
    return spawn(WEFT, ['ssh', app, '-i', String(index), '-c', cmd], {
      cwd: ROOT,
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  async api<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    if (!this.fetch) throw new Error('weft is not up');
    const res = await this.fetch(`${this.url}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async appGuid(name: string): Promise<string> {
    return (await this.app(name)).guid;
  }

  async app(name: string): Promise<AppInfo> {
    const [app] = await this.api<AppInfo[]>('GET', `/v1/apps?name=${encodeURIComponent(name)}`);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  /** The control plane's Prometheus page, which under `weft up` carries the cell's metrics too. */
  async metrics(): Promise<string> {
    if (!this.fetch) throw new Error('weft is not up');
    const res = await this.fetch(`${this.url}/metrics`, {
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
    return res.text();
  }

  async instances(name: string): Promise<InstanceInfo[]> {
    const list = await this.api<InstanceInfo[]>('GET', `/v1/apps/${await this.appGuid(name)}/instances`);
    return list.sort((a, b) => a.index - b.index);
  }

  /** Waits until the app has exactly n instances, all running with an IP; returns them by index. */
  waitRunning(name: string, n: number): Promise<(InstanceInfo & { ip: string })[]> {
    return waitFor(
      `${n} running instances of ${name}`,
      async () => {
        const list = await this.instances(name);
        const ok = list.length === n && list.every((i) => i.state === 'RUNNING' && i.ip !== null);
        return ok ? (list as (InstanceInfo & { ip: string })[]) : undefined;
      },
      RUNNING_DEADLINE_MS,
    );
  }

  /** Pushes an example app (examples/http-app or examples/echo) with n instances. */
  async push(name: string, example: 'http-app' | 'echo', instances: number): Promise<void> {
    const command = example === 'echo' ? 'node echo.js' : 'node server.js';
    await this.cliOk(
      'push',
      name,
      '-p',
      path.join(ROOT, 'examples', example),
      '-c',
      command,
      '-i',
      String(instances),
    );
  }
}
