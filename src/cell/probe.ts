// `weft explain --probe` on the cell: one real connection from a source instance's network namespace to a
// destination, with nftables tracing that flow only, so the answer says where the packet stopped rather
// than what should have happened. One probe at a time per cell; the tracing table lives for the probe only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CellQuestion, ProbeResult } from '../contract/inspect.js';
import { curlOutcome, parseTrace, traceRule } from '../explain/probe.js';
import { CommandError, run } from '../host/run.js';
import { isPlatformPort } from '../model/ports.js';

export type ProbeRequest = NonNullable<CellQuestion['probe']>;

/** Where the source instance lives on this host. */
export interface ProbeSource {
  ip: string;
  netnsPath: string;
  credentialsDir: string;
}

const CONNECT_TIMEOUT_S = 2;
/** `nft monitor` gives no sign that it listens; this is ample for it to subscribe. */
const MONITOR_START_MS = 250;
/** Trace events of the last packets reach the monitor after the client returns. */
const MONITOR_DRAIN_MS = 200;
const MAX_TRACE_BYTES = 256 * 1024;

export class Prober {
  private busy = false;

  constructor(
    /** weft's table; the tracing table is named after it. */
    private readonly table: string,
    /** The CA bundle a probe over 61443 verifies the destination's certificate with. */
    private readonly caFile: string,
  ) {}

  async probe(source: ProbeSource, req: ProbeRequest): Promise<ProbeResult> {
    if (this.busy) return { outcome: 'error', detail: 'another probe is running on this cell', trace: [] };
    this.busy = true;
    const traceTable = this.traceTable;
    try {
      await run(['nft', '-f', '-'], traceTableScript(traceTable, source.ip, req));
      const monitor = startMonitor();
      try {
        await sleep(MONITOR_START_MS);
        const client = await this.connect(source, req);
        await sleep(MONITOR_DRAIN_MS);
        return { ...client, trace: parseTrace(monitor.stop(), traceTable) };
      } finally {
        monitor.stop();
      }
    } catch (err) {
      return { outcome: 'error', detail: String(err).slice(0, 500), trace: [] };
    } finally {
      await this.removeLeftover();
      this.busy = false;
    }
  }

  /** A cell killed mid-probe leaves its tracing table; the next probe or a cleanup takes it away. */
  async removeLeftover(): Promise<void> {
    await run(['nft', 'delete', 'table', 'inet', this.traceTable]).catch(() => undefined);
  }

  private get traceTable(): string {
    return `${this.table}_probe`;
  }

  private async connect(source: ProbeSource, req: ProbeRequest): Promise<Omit<ProbeResult, 'trace'>> {
    const inNetns = ['nsenter', `--net=${source.netnsPath}`, '--'];
    if (req.protocol === 'udp') {
      // The address and port are bash's positional parameters, never part of the script text.
      await run([
        ...inNetns,
        'bash',
        '-c',
        'printf weft-probe >"/dev/udp/$0/$1"',
        req.dstIp,
        String(req.port),
      ]);
      return { outcome: 'sent', detail: '' };
    }
    // 61443 and the proxied app ports are TLS.
    const tls = isPlatformPort(req.port);
    const argv = [...inNetns, ...curlArgs(req, tls, source.credentialsDir, this.caFile)];
    try {
      await run(argv);
      return { outcome: 'connected', detail: '' };
    } catch (err) {
      if (!(err instanceof CommandError) || err.code === null) throw err;
      const lines = err.stderr.trim().split('\n');
      const connectSeconds = Number(lines.at(-1)) || 0;
      const detail = lines.filter((l) => l.startsWith('curl:')).join(' ');
      return { outcome: curlOutcome(err.code, connectSeconds, tls), detail: detail.slice(0, 500) };
    }
  }
}

function traceTableScript(name: string, srcIp: string, req: ProbeRequest): string {
  // Before conntrack (-200) and DNAT (-100), so the trace starts where the packet enters the host.
  return [
    `add table inet ${name}`,
    `delete table inet ${name}`,
    `table inet ${name} {`,
    `  chain trace { type filter hook prerouting priority -350; ${traceRule(srcIp, req.dstIp, req.protocol, req.port)}; }`,
    `}`,
    '',
  ].join('\n');
}

function curlArgs(req: ProbeRequest, tls: boolean, credentialsDir: string, caFile: string): string[] {
  const common = [
    'curl',
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{stderr}%{time_connect}\\n',
    '--connect-timeout',
    String(CONNECT_TIMEOUT_S),
    '--max-time',
    String(CONNECT_TIMEOUT_S + 1),
  ];
  if (!tls) return [...common, `http://${req.dstIp}:${req.port}/`];
  // The source's own identity, as its app would present it where the destination asks for one.
  const cert = path.join(credentialsDir, 'instance.crt');
  const key = path.join(credentialsDir, 'instance.key');
  const identity = existsSync(cert) && existsSync(key) ? ['--cert', cert, '--key', key] : [];
  const name = req.hostname;
  return name === undefined
    ? [...common, ...identity, '--insecure', `https://${req.dstIp}:${req.port}/`]
    : [
        ...common,
        ...identity,
        '--cacert',
        caFile,
        '--resolve',
        `${name}:${req.port}:${req.dstIp}`,
        `https://${name}:${req.port}/`,
      ];
}

function startMonitor(): { stop(): string } {
  const child = spawn('nft', ['monitor', 'trace'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (text.length < MAX_TRACE_BYTES) text += d;
  });
  child.on('error', () => undefined);
  return {
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return text;
    },
  };
}
