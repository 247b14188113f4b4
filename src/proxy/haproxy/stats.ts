// Reads HAProxy's own counters: `show stat` for each frontend and backend, `show table totals` for the
// proxy-wide row the configuration keeps (config.ts). Pure parsers of the runtime API's text.

/** Numeric fields by `proxy/FRONTEND` or `proxy/BACKEND`. */
export type StatFields = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** The `show stat` request for frontends and backends only (type mask 1|2), servers left out. */
export const SHOW_STAT = 'show stat -1 3 -1';

/** Parses `show stat` CSV: a `# pxname,svname,…` header, then one line per frontend or backend. */
export function parseStats(csv: string): StatFields {
  const [header = '', ...rows] = csv.split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const stats = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const cells = row.split(',');
    if (cells.length < 2) continue;
    const fields = new Map<string, number>();
    columns.forEach((column, i) => {
      const cell = cells[i];
      if (i > 1 && cell !== undefined && /^\d+$/.test(cell)) fields.set(column, Number(cell));
    });
    stats.set(`${cells[0]}/${cells[1]}`, fields);
  }
  return stats;
}

export interface TotalsRow {
  openConnections: number;
  refusedPerSource: number;
  refusedGlobal: number;
  mtlsRefusals: number;
}

/** Parses `show table totals`: one row, `key=1 … conn_cur=3 gpc0=… gpc1=… gpc2=…`. */
export function parseTotalsRow(text: string): TotalsRow {
  const field = (name: string): number => Number(new RegExp(`\\b${name}=(\\d+)`).exec(text)?.[1] ?? 0);
  return {
    openConnections: field('conn_cur'),
    refusedPerSource: field('gpc0'),
    refusedGlobal: field('gpc1'),
    mtlsRefusals: field('gpc2'),
  };
}
