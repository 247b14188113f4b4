// A cell's Prometheus metrics, read from its parts when scraped: the proxy's connections and the expiry
// of the certificates it serves, DNS queries, and whether the cell follows the control plane.
import { Gauge, type Registry } from 'prom-client';
import type { DnsServer } from '../dns/server.js';
import type { TlsProxy } from '../proxy/index.js';

export interface CellMetricSources {
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
}
