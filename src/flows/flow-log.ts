// The cell's flow log: ulogd2 (a child the cell supervises) hands it the denied flows the kernel logged
// to the cell's NFLOG group and, with `--flow-log all`, every connection's start and end from conntrack's
// events; they go to the control plane in small batches, which names their apps.
// Bounded everywhere: the kernel's per-source budget, line length, the queue, the batch, the restarts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { CrashBackoff, DEFAULT_CRASH_BACKOFF } from '../host/crash-backoff.js';
import { MAX_FLOWS_PER_REPORT, type ObservedFlow } from '../contract/flows.js';
import { MAX_LINE_BYTES, parseConntrackLine, parseUlogdLine, ulogdConfig } from './ulogd.js';

/** The prefix the kernel rule gives logged packets (src/enforcer/plan.ts). */
export const DENIED_PREFIX = 'weft-denied';
const FLUSH_MS = 200;
/** Records waiting for the control plane; beyond this the newest are counted and dropped. */
const MAX_QUEUED = 5_000;
/** How long a start waits for ulogd to connect. */
const READY_MS = 3_000;

export interface FlowSink {
  reportFlows(flows: ObservedFlow[]): Promise<void>;
}

export interface FlowLogCounts {
  /** Denied flows the kernel logged. */
  logged: number;
  /** Connections started and ended, from conntrack (`--flow-log all`). */
  connections: number;
  dropped: number;
}

/** `--flow-log`: denied flows only, or every connection's start and end as well. */
export type FlowLogScope = 'denied' | 'all';

export interface FlowLogOptions {
  group: number;
  dir: string;
  pluginDir: string;
  /** Also log every connection's start and end within the overlay; the gateway's own (DNS, health checks) are left out. */
  connections?: { overlayCidr: string; gatewayIp: string };
}

/** Where Debian keeps ulogd's plugins for this machine's architecture, if ulogd2 and its JSON output are installed. */
export function findUlogdPlugins(): string | null {
  if (!existsSync('/usr/sbin/ulogd')) return null;
  const roots = ['/usr/lib', ...readdirSync('/usr/lib').map((d) => path.join('/usr/lib', d))];
  for (const root of roots) {
    const dir = path.join(root, 'ulogd');
    if (existsSync(path.join(dir, 'ulogd_output_JSON.so'))) return dir;
  }
  return null;
}

export class FlowLog {
  readonly counts: FlowLogCounts = { logged: 0, connections: 0, dropped: 0 };
  private queue: ObservedFlow[] = [];
  private server: net.Server | null = null;
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly backoff = new CrashBackoff({ ...DEFAULT_CRASH_BACKOFF, firstDelayMs: 1_000 });

  constructor(
    private readonly opts: FlowLogOptions,
    private readonly sink: FlowSink,
    private readonly logger: Logger,
  ) {}

  private get socket(): string {
    return path.join(this.opts.dir, 'flows.sock');
  }

  async start(): Promise<void> {
    await fs.mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await fs.rm(this.socket, { force: true });
    const config = path.join(this.opts.dir, 'ulogd.conf');
    const { group, pluginDir, connections } = this.opts;
    const conntrack =
      connections === undefined ? {} : { conntrack: { overlayCidr: connections.overlayCidr } };
    await fs.writeFile(config, ulogdConfig({ group, pluginDir, socket: this.socket, ...conntrack }), {
      mode: 0o600,
    });
    // Only one ulogd talks to the cell at a time: one connection per output of its stacks.
    const outputs = connections === undefined ? 1 : 2;
    let connected = 0;
    let ready: () => void = () => undefined;
    const allConnected = new Promise<void>((resolve) => (ready = resolve));
    this.server = net.createServer((conn) => {
      if (++connected === outputs) ready();
      this.read(conn);
    });
    this.server.maxConnections = outputs;
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.socket, resolve);
    });
    await fs.chmod(this.socket, 0o600);
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
    this.spawnUlogd(config);
    // ulogd connects its outputs once its stacks are built: from then on what the kernel logs is read.
    const waited = await Promise.race([allConnected.then(() => true), sleep(READY_MS).then(() => false)]);
    if (!waited)
      this.logger.warn({ waitedMs: READY_MS }, 'ulogd has not connected yet: early flows may be missed');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.flush();
    await this.flushing;
    await fs.rm(this.socket, { force: true });
  }

  private spawnUlogd(config: string): void {
    // Its own process group, so a Ctrl-C meant for the cell does not take the log away before the cell
    // stops it; and the kernel kills it when the cell dies, even by SIGKILL, freeing the NFLOG group.
    const child = spawn(
      '/usr/bin/setpriv',
      ['--pdeathsig', 'SIGKILL', '--', '/usr/sbin/ulogd', '-c', config],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (/<[1-3]>/.test(line)) this.logger.warn({ ulogd: line.slice(0, 500) }, 'ulogd');
      });
    }
    child.once('error', (err) => this.logger.error({ err: String(err) }, 'ulogd could not start'));
    const startedAt = performance.now();
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const delayMs = this.backoff.delayAfterCrash(performance.now() - startedAt);
      this.logger.warn({ code, signal, delayMs }, 'ulogd exited; restarting it');
      setTimeout(() => {
        if (!this.stopping) this.spawnUlogd(config);
      }, delayMs).unref();
    });
  }

  private read(conn: net.Socket): void {
    let pending = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        this.take(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      // A line longer than any record ulogd writes is junk: drop it rather than grow without bound.
      if (pending.length > MAX_LINE_BYTES) pending = '';
    });
    conn.on('error', () => conn.destroy());
  }

  private take(line: string): void {
    const denied = parseUlogdLine(line, DENIED_PREFIX);
    const flow = denied ?? (this.opts.connections ? parseConntrackLine(line) : null);
    if (flow === null) return;
    if (denied !== null) this.counts.logged++;
    else {
      const gateway = this.opts.connections?.gatewayIp;
      if (flow.srcIp === gateway || flow.dstIp === gateway) return;
      this.counts.connections++;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(flow);
  }

  /** One report at a time; what fails to reach the control plane is dropped and counted, not retried. */
  private flush(): void {
    if (this.queue.length === 0) return;
    this.flushing = this.flushing.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_FLOWS_PER_REPORT);
        try {
          await this.sink.reportFlows(batch);
        } catch (err) {
          this.counts.dropped += batch.length;
          this.logger.warn({ err: String(err), flows: batch.length }, 'could not report flows');
          return;
        }
      }
    });
  }
}
