// A cell's Prometheus metrics, read from its parts when scraped: the proxy's connections and the expiry
// of the certificates it serves, DNS queries, and whether the cell follows the control plane.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DnsServer } from '../dns/server.js';
import type { TlsProxy } from '../proxy/index.js';

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
  dns: () => DnsServer | null;
  connected: () => boolean;
  revision: () => number;
}

export function registerCellMetrics(registry: Registry, sources: CellMetricSources): void {
  const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        read(this);
      },
    });
  gauge('weft_cell_control_plane_connected', '1 while the cell follows the change stream', (g) =>
    g.set(sources.connected() ? 1 : 0),
  );
  gauge('weft_cell_revision', 'last revision of the change stream the cell applied', (g) =>
    g.set(sources.revision()),
  );
  const totals = (g: Gauge, key: keyof ReturnType<TlsProxy['stats']>['totals']) =>
    g.set(sources.proxy.stats().totals[key]);
  gauge('weft_proxy_connections_accepted', 'TLS connections accepted by the proxy', (g) =>
    totals(g, 'connectionsAccepted'),
  );
  gauge('weft_proxy_handshake_failures', 'TLS handshakes that failed', (g) => totals(g, 'handshakeFailures'));
  gauge('weft_proxy_connections_refused', 'callers refused by mutual TLS', (g) =>
    totals(g, 'connectionsRefused'),
  );
  gauge(
    'weft_proxy_certificate_expiry_seconds',
    'when the certificate each listener serves expires (unix time)',
    (g) => {
      g.reset();
      for (const i of sources.proxy.stats().instances) g.set({ listener: i.guid }, i.certNotAfterMs / 1000);
    },
    ['listener'],
  );
  gauge('weft_dns_queries', 'DNS queries answered or forwarded by the cell', (g) => {
    const stats = sources.dns()?.stats;
    g.set(stats ? stats.udpQueries + stats.tcpQueries : 0);
  });
  const counter = (name: string, help: string, counts: Map<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: ['reconciler'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reconciler, n] of counts) this.inc({ reconciler }, n);
      },
    });
  counter(
    'weft_cell_resync_repairs_total',
    'drift the periodic resync found and repaired (a failed apply, a change behind weft’s back)',
    sources.reconciles.repairs,
  );
  counter('weft_cell_reconcile_errors_total', 'reconciler runs that failed', sources.reconciles.errors);
}
