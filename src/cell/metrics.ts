// A cell's Prometheus metrics, read from its parts when scraped: the proxy's connections, what it refused
// and the expiry of the certificates it serves, DNS queries by what became of them, and whether the cell
// follows the control plane.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DnsStats } from '../dns/unbound/stats.js';
import type { FlowLogCounts } from '../flows/flow-log.js';
import type { InstanceCounters, ProxyStats, TlsProxy } from '../proxy/index.js';

/** What the reconcilers went through, by reconciler: drift the resync repaired, runs that failed. */
export class ReconcileCounts {
  readonly repairs = new Map<string, number>();
  readonly errors = new Map<string, number>();

  repaired(reconciler: string, count: number): void {
    this.repairs.set(reconciler, (this.repairs.get(reconciler) ?? 0) + count);
  }

  error(reconciler: string): void {
    this.errors.set(reconciler, (this.errors.get(reconciler) ?? 0) + 1);
  }
}

export interface CellMetricSources {
  reconciles: ReconcileCounts;
  proxy: TlsProxy;
  /** The cell's DNS, whose counters unbound keeps; null before the cell has set it up. */
  dns: () => { stats(): Promise<DnsStats> } | null;
  connected: () => boolean;
  revision: () => number;
}

/** How long the kernel took to take each apply, by kind (build, rebuild, delta, nothing). */
export function kernelApplyHistogram(): Histogram<'kind'> {
  return new Histogram({
    name: 'weft_cell_kernel_apply_seconds',
    help: 'time from a plan to the kernel holding it, conntrack sweep included, by kind of apply',
    labelNames: ['kind'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [],
  });
}

export interface KernelMetricSources {
  /** What the kernel enforces now. */
  held: () => { policies: number; localInstances: number };
  kernelApply: Histogram<'kind'>;
  /** The flow log's totals, or null while it is off. */
  flows: () => FlowLogCounts | null;
}

/** Metrics whose value a scrape reads from the parts, which keep their own totals. */
function scraped(registry: Registry) {
  const gauge = (
    name: string,
    help: string,
    read: (g: Gauge) => void | Promise<void>,
    labelNames: string[] = [],
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        await read(this);
      },
    });
  // The parts keep monotonic totals; a scrape copies them into the counter.
  const counter = (name: string, help: string, read: () => number | Promise<number>) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = await read();
        this.reset();
        this.inc(value);
      },
    });
  const counterBy = (
    name: string,
    help: string,
    label: string,
    read: () => Record<string, number> | Promise<Record<string, number>>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        const values = await read();
        this.reset();
        for (const [value, count] of Object.entries(values)) this.inc({ [label]: value }, count);
      },
    });
  return { gauge, counter, counterBy };
}

/** The kernel's side of a cell: what it enforces, how fast it takes a change, what it logged. */
export function registerKernelMetrics(registry: Registry, sources: KernelMetricSources): void {
  const { gauge, counter } = scraped(registry);
  registry.registerMetric(sources.kernelApply);
  gauge('weft_cell_policies', 'app-to-app policy entries the kernel enforces now', (g) =>
    g.set(sources.held().policies),
  );
  gauge('weft_cell_instances', 'instances this cell runs and the kernel protects now', (g) =>
    g.set(sources.held().localInstances),
  );
  counter(
    'weft_cell_denied_flows_logged_total',
    'denied new flows the kernel logged, within each source’s budget',
    () => sources.flows()?.logged ?? 0,
  );
  counter(
    'weft_cell_connections_logged_total',
    'connections started and ended within the overlay, from conntrack events (--flow-log all)',
    () => sources.flows()?.connections ?? 0,
  );
  counter(
    'weft_cell_flow_records_dropped_total',
    'flow records lost on the way to the control plane (queue full, or it did not answer)',
    () => sources.flows()?.dropped ?? 0,
  );
}

export function registerCellMetrics(registry: Registry, sources: CellMetricSources): void {
  const { gauge, counter, counterBy } = scraped(registry);
  gauge('weft_cell_control_plane_connected', '1 while the cell follows the change stream', (g) =>
    g.set(sources.connected() ? 1 : 0),
  );
  gauge('weft_cell_revision', 'last revision of the change stream the cell applied', (g) =>
    g.set(sources.revision()),
  );

  counterBy(
    'weft_cell_resync_repairs_total',
    'drift the periodic resync found and repaired (a failed apply, a change behind weft’s back)',
    'reconciler',
    () => Object.fromEntries(sources.reconciles.repairs),
  );
  counterBy('weft_cell_reconcile_errors_total', 'reconciler runs that failed', 'reconciler', () =>
    Object.fromEntries(sources.reconciles.errors),
  );

  // One question to HAProxy serves every proxy metric of a scrape.
  let asking: Promise<ProxyStats> | null = null;
  const proxyStats = (): Promise<ProxyStats> => {
    asking ??= sources.proxy.stats().finally(() => setImmediate(() => (asking = null)));
    return asking;
  };
  const proxy = async (): Promise<InstanceCounters> => (await proxyStats()).totals;
  counter(
    'weft_proxy_connections_accepted_total',
    'TLS connections the proxy took in, within its connection limits',
    async () => (await proxy()).connectionsAccepted,
  );
  gauge('weft_proxy_connections_open', 'client connections the proxy holds open now', async (g) =>
    g.set((await proxyStats()).openConnections),
  );
  counter(
    'weft_proxy_handshake_failures_total',
    'TLS handshakes that failed, timed-out ones included',
    async () => (await proxy()).handshakeFailures,
  );
  counterBy(
    'weft_proxy_connections_refused_total',
    'connections the proxy refused or cut off, by reason',
    'reason',
    async () => {
      const totals = await proxy();
      return {
        per_source_limit: totals.refusedPerSource,
        global_limit: totals.refusedGlobal,
        handshake_timeout: totals.handshakeTimeouts,
        idle_timeout: totals.idleTimeouts,
        mtls: totals.mtlsRefusals,
      };
    },
  );
  gauge(
    'weft_proxy_certificate_expiry_timestamp_seconds',
    'when the certificate each listener serves expires (unix time)',
    async (g) => {
      const { instances } = await proxyStats();
      g.reset();
      for (const i of instances) g.set({ listener: i.guid }, i.certNotAfterMs / 1000);
    },
    ['listener'],
  );

  // One question to unbound serves every DNS metric of a scrape.
  let askingDns: Promise<DnsStats | null> | null = null;
  const dnsStats = (): Promise<DnsStats | null> => {
    // Between a crash and the restart unbound cannot be asked: the scrape shows zeros rather than failing.
    askingDns ??= Promise.resolve(sources.dns()?.stats() ?? null)
      .catch(() => null)
      .finally(() => setImmediate(() => (askingDns = null)));
    return askingDns;
  };
  const dns = async <K extends keyof DnsStats>(key: K): Promise<number> => (await dnsStats())?.[key] ?? 0;
  counterBy(
    'weft_dns_queries_total',
    'DNS queries the cell received, by what became of them',
    'result',
    async () => ({
      answered: await dns('answered'),
      forwarded: await dns('forwarded'),
      rate_limited: await dns('rateLimited'),
      refused: await dns('refused'),
    }),
  );
  counter(
    'weft_dns_upstream_failures_total',
    'DNS queries answered SERVFAIL: no upstream resolver gave an answer',
    () => dns('upstreamFailures'),
  );
  gauge('weft_dns_tcp_connections_open', 'DNS TCP connections the cell holds open now', async (g) =>
    g.set(await dns('tcpConnectionsOpen')),
  );
}
