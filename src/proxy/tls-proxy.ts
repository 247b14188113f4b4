import pino, { type Logger } from 'pino';
import { SourceConnections } from '../limits/source-connections.js';
import {
  InstanceListener,
  zeroCounters,
  type Endpoint,
  type InstanceCounters,
  type InstanceSpec,
  type InstanceStats,
  type MtlsPolicy,
} from './instance-listener.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from './limits.js';
import { DEFAULT_TLS_SETTINGS, type Credentials, type TlsSettings } from './tls-settings.js';

export interface TlsProxyOptions extends Partial<TlsSettings>, Partial<ProxyLimits> {
  logger?: Logger;
}

export interface ProxyStats {
  instances: InstanceStats[];
  /** Monotonic over the proxy's life, removed instances included. */
  totals: InstanceCounters;
  /** Client connections open now, mid-handshake ones included, across every listener. */
  openConnections: number;
}

/** The cell's TLS proxy: one process, one TLS listener per instance, certificates swapped live. */
export class TlsProxy {
  private readonly settings: TlsSettings;
  private readonly limits: ProxyLimits;
  /** Shared by every listener: a container's connections count together whichever instances they reach. */
  private readonly connections: SourceConnections;
  private readonly log: Logger;
  private readonly instances = new Map<string, InstanceListener>();
  private readonly retired = zeroCounters();

  constructor(opts: TlsProxyOptions = {}) {
    const { logger, maxConnectionsPerSource, maxConnections, idleTimeoutMs, ...settings } = opts;
    this.settings = { ...DEFAULT_TLS_SETTINGS, ...settings };
    this.limits = {
      maxConnectionsPerSource: maxConnectionsPerSource ?? DEFAULT_PROXY_LIMITS.maxConnectionsPerSource,
      maxConnections: maxConnections ?? DEFAULT_PROXY_LIMITS.maxConnections,
      idleTimeoutMs: idleTimeoutMs ?? DEFAULT_PROXY_LIMITS.idleTimeoutMs,
    };
    this.connections = new SourceConnections({
      perSource: this.limits.maxConnectionsPerSource,
      total: this.limits.maxConnections,
    });
    this.log = logger ?? pino({ enabled: false });
  }

  /** Starts serving an instance; resolves with the bound address once it accepts connections. */
  async addInstance(spec: InstanceSpec): Promise<Endpoint> {
    if (this.instances.has(spec.guid)) throw new Error(`instance ${spec.guid} is already proxied`);
    const listener = new InstanceListener(spec, this.settings, this.limits, this.connections, this.log);
    // Claimed before listening so a concurrent add of the same GUID fails instead of racing.
    this.instances.set(spec.guid, listener);
    try {
      const bound = await listener.listen();
      this.log.info({ instance: spec.guid, listen: bound, backend: spec.backend }, 'proxying instance');
      return bound;
    } catch (err) {
      this.instances.delete(spec.guid);
      throw err;
    }
  }

  updateCredentials(guid: string, credentials: Credentials): void {
    this.get(guid).updateCredentials(credentials);
  }

  setMtls(guid: string, mtls: MtlsPolicy | null): void {
    this.get(guid).setMtls(mtls);
  }

  async removeInstance(guid: string): Promise<void> {
    const listener = this.instances.get(guid);
    if (!listener) return;
    this.instances.delete(guid);
    await listener.close();
    addInto(this.retired, listener.totals);
  }

  stats(): ProxyStats {
    const instances = [...this.instances.values()].map((listener) => listener.stats());
    const totals = { ...this.retired };
    for (const listener of this.instances.values()) addInto(totals, listener.totals);
    return { instances, totals, openConnections: this.connections.total };
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((guid) => this.removeInstance(guid)));
  }

  private get(guid: string): InstanceListener {
    const listener = this.instances.get(guid);
    if (!listener) throw new Error(`instance ${guid} is not proxied`);
    return listener;
  }
}

function addInto(sum: InstanceCounters, add: InstanceCounters): void {
  for (const key of Object.keys(sum) as (keyof InstanceCounters)[]) sum[key] += add[key];
}
