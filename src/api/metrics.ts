// The control plane's own Prometheus gauges: what the platform holds, read from the store at each scrape
// (a handful of counts, cheap at any size weft targets), and the change stream's latest revision, which
// beside each cell's weft_cell_revision gives that cell's lag.
import { Gauge, type Registry } from 'prom-client';
import type { Store } from '../store/store.js';
import { latestRevision } from '../store/change-log.js';

export function registerControlPlaneMetrics(registry: Registry, store: Store): void {
  const count = async (table: 'apps' | 'policies' | 'cells'): Promise<number> => {
    const row = await store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  };
  const gauge = (name: string, help: string, read: (g: Gauge) => Promise<void>, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        await read(this);
      },
    });

  gauge('weft_apps', 'apps in the store', async (g) => g.set(await count('apps')));
  gauge('weft_policies', 'network policies in the store', async (g) => g.set(await count('policies')));
  gauge('weft_cells', 'cells registered', async (g) => g.set(await count('cells')));
  gauge(
    'weft_instances',
    'instances placed, by the state their cell last reported',
    async (g) => {
      const rows = await store.db
        .selectFrom('instances')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('state')
        .execute();
      g.reset();
      for (const r of rows) g.set({ state: r.state }, Number(r.n));
    },
    ['state'],
  );
  gauge('weft_control_plane_revision', 'the latest revision of the change stream', async (g) =>
    g.set(await latestRevision(store.db)),
  );
}
