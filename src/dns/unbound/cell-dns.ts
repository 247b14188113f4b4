// A cell's DNS: unbound answers the containers from the cell's zone and forwards everything else to the
// host's resolvers. The zone held here is the truth; unbound gets it whole in its configuration when it
// starts and, while it runs, only the difference of each change over its control socket.
import type { Logger } from 'pino';
import { emptyZone, type Zone } from '../zone.js';
import type { Upstream } from '../upstream.js';
import { DEFAULT_DNS_LIMITS, renderUnboundConfig, type DnsLimits } from './config.js';
import { UnboundEngine } from './engine.js';
import { prepareDirectory, writeConfig, type UnboundFiles } from './files.js';
import { dnsStats, type DnsStats } from './stats.js';
import { zoneChange, type ZoneChange } from './zone-lines.js';

export interface CellDnsOptions {
  /** Directory for the configuration and control socket; emptied at start. */
  dir: string;
  listen: string[];
  port: number;
  clients: string[];
  upstream: Upstream[];
  limits?: DnsLimits;
  logger: Logger;
}

const RETRY_MS = 10;
const ATTEMPTS = 200;

export class CellDns {
  private engine: UnboundEngine | null = null;
  private desired: Zone = emptyZone;
  /** What the running unbound holds. */
  private applied: Zone = emptyZone;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CellDnsOptions) {}

  async start(): Promise<void> {
    const files = await prepareDirectory(this.opts.dir);
    this.engine = new UnboundEngine(
      files.controlSocket,
      { render: () => this.render(files) },
      this.opts.logger,
    );
    await this.engine.ready();
  }

  /** Resolves once unbound answers with `zone`: the next query sees it. */
  setZone(zone: Zone): Promise<void> {
    this.desired = zone;
    const next = this.queue.then(() => this.catchUp());
    this.queue = next.catch(() => undefined);
    return next;
  }

  async stats(): Promise<DnsStats> {
    return dnsStats(await this.running().command('stats_noreset'));
  }

  /** The unbound process, for tests that kill it. */
  get pid(): number | undefined {
    return this.engine?.pid;
  }

  get restarts(): number {
    return this.engine?.restarts ?? 0;
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
  }

  private running(): UnboundEngine {
    if (this.engine === null) throw new Error('the cell’s DNS has not started');
    return this.engine;
  }

  /**
   * Sends unbound the difference between what it holds and the zone. A process that died on the way was
   * replaced by one that read the latest zone from its configuration, so the difference is taken again.
   */
  private async catchUp(): Promise<void> {
    const engine = this.running();
    for (let attempt = 1; ; attempt++) {
      await engine.ready();
      const target = this.desired;
      try {
        await this.send(zoneChange(this.applied, target));
        this.applied = target;
        return;
      } catch (err) {
        const cutOff = (err as NodeJS.ErrnoException).code !== undefined;
        if (!cutOff || attempt >= ATTEMPTS || engine.stopped) throw err;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  private async send(change: ZoneChange): Promise<void> {
    const batches: [string, string[]][] = [
      ['local_datas_remove', change.removeNames],
      ['local_zones_remove', change.removeZones],
      ['local_zones', change.addZones],
      ['local_datas', change.addDatas],
    ];
    for (const [command, lines] of batches) {
      if (lines.length > 0) await this.running().command(command, lines);
    }
  }

  private async render(files: UnboundFiles): Promise<string> {
    const zone = this.desired;
    const text = renderUnboundConfig({
      listen: this.opts.listen,
      port: this.opts.port,
      clients: this.opts.clients,
      upstream: this.opts.upstream,
      zone,
      limits: this.opts.limits ?? DEFAULT_DNS_LIMITS,
      dir: files.dir,
      controlSocket: files.controlSocket,
    });
    await writeConfig(files, text);
    this.applied = zone;
    return files.config;
  }
}
