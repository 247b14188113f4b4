// The whole desired and reported state at one revision, for cells that (re)start following. Read
// a page of rows at a time; call these inside one consistent view (Store.read).
import type { Kysely, Selectable } from 'kysely';
import type { SnapshotItems } from '../contract/stream.js';
import type { Policy, Route } from '../model/types.js';
import type { Database, RoutesTable } from './schema.js';
import { latestRevision } from './change-log.js';
import { withoutEnv } from './apps.js';
import {
  appFromRow,
  cellFromRow,
  domainFromRow,
  instanceFromRow,
  policyFromRow,
  spaceFromRow,
} from './rows.js';
import { routeFromRow } from './routes.js';
import { getSetting } from './settings.js';

/** Rows read per query. */
const ROW_PAGE = 500;

export async function snapshotHeader(
  db: Kysely<Database>,
): Promise<{ revision: number; overlayCidr: string }> {
  return {
    revision: await latestRevision(db),
    overlayCidr: (await getSetting(db, 'overlay_cidr')) ?? '',
  };
}

/** Every resource, a page of one kind at a time, each table in key order. */
export async function* snapshotPages(db: Kysely<Database>): AsyncGenerator<SnapshotItems> {
  for await (const items of tablePages(db, 'orgs', 'guid', (rows) =>
    rows.map(({ guid, name }) => ({ guid, name })),
  ))
    yield { type: 'snapshot-items', kind: 'orgs', items };
  for await (const items of tablePages(db, 'spaces', 'guid', (rows) => rows.map(spaceFromRow)))
    yield { type: 'snapshot-items', kind: 'spaces', items };
  for await (const items of tablePages(db, 'apps', 'guid', (rows) =>
    rows.map((r) => withoutEnv(appFromRow(r))),
  ))
    yield { type: 'snapshot-items', kind: 'apps', items };
  for await (const items of tablePages(db, 'domains', 'guid', (rows) => rows.map(domainFromRow)))
    yield { type: 'snapshot-items', kind: 'domains', items };
  for await (const items of tablePages(db, 'routes', 'guid', (rows) => withMappings(db, rows)))
    yield { type: 'snapshot-items', kind: 'routes', items };
  for await (const items of keyset(policyPage(db), (p) => p))
    yield { type: 'snapshot-items', kind: 'policies', items };
  for await (const items of tablePages(db, 'instances', 'guid', (rows) => rows.map(instanceFromRow)))
    yield { type: 'snapshot-items', kind: 'instances', items };
  for await (const items of tablePages(db, 'cells', 'id', (rows) => rows.map(cellFromRow)))
    yield { type: 'snapshot-items', kind: 'cells', items };
}

type KeyedTable = 'orgs' | 'spaces' | 'apps' | 'domains' | 'routes' | 'instances' | 'cells';

/** A table's rows in pages, in the order of its one-column key, each page turned into items. */
async function* tablePages<T extends KeyedTable, I>(
  db: Kysely<Database>,
  table: T,
  key: 'guid' | 'id',
  toItems: (rows: Selectable<Database[T]>[]) => I[] | Promise<I[]>,
): AsyncGenerator<I[]> {
  // The same database seen as tables of named columns: the query takes the table by name.
  const byName = db as unknown as Kysely<Record<string, Record<'guid' | 'id', string>>>;
  const page = (after: string | null) =>
    byName
      .selectFrom(table as string)
      .selectAll()
      .$if(after !== null, (q) => q.where(key, '>', after ?? ''))
      .orderBy(key)
      .limit(ROW_PAGE)
      .execute() as Promise<Selectable<Database[T]>[]>;
  const keyOf = (row: Selectable<Database[T]>) => (row as Record<typeof key, string>)[key];
  for await (const rows of keyset(page, keyOf)) yield await toItems(rows);
}

/** Pages in key order: each page starts after the last key of the one before. */
async function* keyset<T, K>(
  page: (after: K | null) => Promise<T[]>,
  keyOf: (row: T) => K,
): AsyncGenerator<T[]> {
  let after: K | null = null;
  for (;;) {
    const rows = await page(after);
    const last = rows.at(-1);
    if (last === undefined) return;
    yield rows;
    if (rows.length < ROW_PAGE) return;
    after = keyOf(last);
  }
}

/** A page of routes with the apps mapped to each. */
async function withMappings(db: Kysely<Database>, routes: Selectable<RoutesTable>[]): Promise<Route[]> {
  const mappings = await db
    .selectFrom('route_mappings')
    .selectAll()
    .where(
      'route_guid',
      'in',
      routes.map((r) => r.guid),
    )
    .orderBy('app_guid')
    .execute();
  return routes.map((r) =>
    routeFromRow(
      r,
      mappings.filter((m) => m.route_guid === r.guid).map((m) => m.app_guid),
    ),
  );
}

/** Policies have no single key: all five columns are, compared as one tuple. */
function policyPage(db: Kysely<Database>) {
  return async (after: Policy | null): Promise<Policy[]> => {
    const rows = await db
      .selectFrom('policies')
      .selectAll()
      .$if(after !== null, (q) =>
        q.where((e) =>
          e.eb(
            e.refTuple('source_app_guid', 'dest_app_guid', 'protocol', 'start_port', 'end_port'),
            '>',
            e.tuple(
              after?.sourceAppGuid ?? '',
              after?.destAppGuid ?? '',
              after?.protocol ?? '',
              after?.startPort ?? 0,
              after?.endPort ?? 0,
            ),
          ),
        ),
      )
      .orderBy('source_app_guid')
      .orderBy('dest_app_guid')
      .orderBy('protocol')
      .orderBy('start_port')
      .orderBy('end_port')
      .limit(ROW_PAGE)
      .execute();
    return rows.map(policyFromRow);
  };
}
