// The whole desired and reported state at one revision, for cells that (re)start following. Read
// a page of rows at a time; call these inside one consistent view (Store.read).
import type { Kysely } from 'kysely';
import type { SnapshotItems } from '../contract/stream.js';
import type { Policy } from '../model/types.js';
import type { Database } from './schema.js';
import { latestRevision } from './change-log.js';
import { withoutEnv } from './apps.js';
import { appFromRow, cellFromRow, instanceFromRow, policyFromRow } from './rows.js';
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
  for await (const items of keyset((after: string | null) =>
    db
      .selectFrom('orgs')
      .select(['guid', 'name'])
      .$if(after !== null, (q) => q.where('guid', '>', after ?? ''))
      .orderBy('guid')
      .limit(ROW_PAGE)
      .execute(),
  ))
    yield { type: 'snapshot-items', kind: 'orgs', items };

  for await (const items of keyset((after: string | null) =>
    db
      .selectFrom('spaces')
      .select(['guid', 'name', 'org_guid as orgGuid'])
      .$if(after !== null, (q) => q.where('guid', '>', after ?? ''))
      .orderBy('guid')
      .limit(ROW_PAGE)
      .execute(),
  ))
    yield { type: 'snapshot-items', kind: 'spaces', items };

  for await (const items of keyset(async (after: string | null) =>
    (
      await db
        .selectFrom('apps')
        .selectAll()
        .$if(after !== null, (q) => q.where('guid', '>', after ?? ''))
        .orderBy('guid')
        .limit(ROW_PAGE)
        .execute()
    ).map((r) => withoutEnv(appFromRow(r))),
  ))
    yield { type: 'snapshot-items', kind: 'apps', items };

  for await (const items of keyset(async (after: string | null) =>
    (
      await db
        .selectFrom('domains')
        .selectAll()
        .$if(after !== null, (q) => q.where('guid', '>', after ?? ''))
        .orderBy('guid')
        .limit(ROW_PAGE)
        .execute()
    ).map((r) => ({ guid: r.guid, name: r.name, internal: r.internal === 1 })),
  ))
    yield { type: 'snapshot-items', kind: 'domains', items };

  for await (const items of keyset((after: string | null) => routePage(db, after)))
    yield { type: 'snapshot-items', kind: 'routes', items };

  for await (const items of keyset(policyPage(db), (p) => p))
    yield { type: 'snapshot-items', kind: 'policies', items };

  for await (const items of keyset(async (after: string | null) =>
    (
      await db
        .selectFrom('instances')
        .selectAll()
        .$if(after !== null, (q) => q.where('guid', '>', after ?? ''))
        .orderBy('guid')
        .limit(ROW_PAGE)
        .execute()
    ).map(instanceFromRow),
  ))
    yield { type: 'snapshot-items', kind: 'instances', items };

  for await (const items of keyset(
    async (after: string | null) =>
      (
        await db
          .selectFrom('cells')
          .selectAll()
          .$if(after !== null, (q) => q.where('id', '>', after ?? ''))
          .orderBy('id')
          .limit(ROW_PAGE)
          .execute()
      ).map(cellFromRow),
    (c) => c.id,
  ))
    yield { type: 'snapshot-items', kind: 'cells', items };
}

/** Pages of a table read in key order: each page starts after the last key of the one before. */
async function* keyset<T, K = string>(
  page: (after: K | null) => Promise<T[]>,
  keyOf: (row: T) => K = (row) => (row as { guid: K }).guid,
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

async function routePage(db: Kysely<Database>, after: string | null) {
  const routes = await db
    .selectFrom('routes')
    .selectAll()
    .$if(after !== null, (q) => q.where('guid', '>', after ?? ''))
    .orderBy('guid')
    .limit(ROW_PAGE)
    .execute();
  if (routes.length === 0) return [];
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
