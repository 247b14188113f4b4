// Network policies: source app → destination app on a protocol and port range. A policy names its apps
// by GUID; only space developers' writes must name apps that exist (see CreateRules).
import { policyKey, type Policy } from '../model/types.js';
import { sql, type ExpressionBuilder } from 'kysely';
import { forbidden } from '../model/errors.js';
import type { Database } from './schema.js';
import { policyFromRow, policyToRow } from './rows.js';
import { chunks, GUIDS_PER_QUERY, ROWS_PER_INSERT, type Db, type Writer } from './writer.js';

export interface PolicyFilter {
  /** Policies involving any of these apps as source or destination (the API's `id`). */
  ids?: string[];
  sourceIds?: string[];
  destIds?: string[];
}

/** How a write is held to the platform's rules; Cloud Foundry holds admins to neither. */
export interface CreateRules {
  /** The most policies one source app may have; null for no limit. */
  perSourceLimit: number | null;
  /** Refuse a policy naming a GUID that is no app. */
  knownAppsOnly: boolean;
}

/** Cloud Foundry's words for a policy naming an app the writer may not see or that does not exist. */
export const CANNOT_ACCESS = 'one or more applications cannot be found or accessed';

/** Adds policies all-or-nothing; ones that exist already are left as they are. */
export async function createPolicies(w: Writer, policies: Policy[], rules: CreateRules): Promise<Policy[]> {
  if (rules.knownAppsOnly) await requireApps(w.trx, policies);
  const wanted = dedupe(policies);
  const existing = await existingAmong(w.trx, wanted);
  const added = wanted.filter((p) => !existing.has(policyKey(p)));
  if (rules.perSourceLimit !== null) await checkPerSourceLimit(w.trx, added, rules.perSourceLimit);
  for (const chunk of chunks(added, ROWS_PER_INSERT)) {
    await w.trx.insertInto('policies').values(chunk.map(policyToRow)).execute();
  }
  await w.putAll(
    'policy',
    added.map((p) => [policyKey(p), p]),
  );
  if (added.length > 0) await w.audit('policy.create', 'policies', null, added);
  return added;
}

/** Removes policies all-or-nothing; ones that do not exist are skipped, as Cloud Foundry does. */
export async function deletePolicies(w: Writer, policies: Policy[]): Promise<Policy[]> {
  const wanted = dedupe(policies);
  const existing = await existingAmong(w.trx, wanted);
  const removed = wanted.filter((p) => existing.has(policyKey(p)));
  await removePolicies(w, removed);
  if (removed.length > 0) await w.audit('policy.delete', 'policies', removed, null);
  return removed;
}

/** Removes the policies naming a GUID that is no app (Cloud Foundry's policy cleanup). */
export async function deleteStalePolicies(w: Writer): Promise<Policy[]> {
  const appIs =
    (column: 'policies.source_app_guid' | 'policies.dest_app_guid') =>
    (eb: ExpressionBuilder<Database, 'policies'>) =>
      eb.exists(eb.selectFrom('apps').select('apps.guid').whereRef('apps.guid', '=', column));
  const stale = (
    await w.trx
      .selectFrom('policies')
      .selectAll()
      .where((eb) =>
        eb.or([eb.not(appIs('policies.source_app_guid')(eb)), eb.not(appIs('policies.dest_app_guid')(eb))]),
      )
      .execute()
  ).map(policyFromRow);
  await removePolicies(w, stale);
  if (stale.length > 0) await w.audit('policy.cleanup', 'policies', stale, null);
  return stale;
}

/**
 * Cloud Foundry's filters, in its order of precedence: `id` alone when given, else `source_id` and
 * `dest_id` (both when both are given).
 */
export async function listPolicies(db: Db, filter: PolicyFilter = {}): Promise<Policy[]> {
  let q = db
    .selectFrom('policies')
    .selectAll()
    .orderBy('source_app_guid')
    .orderBy('dest_app_guid')
    .orderBy('protocol')
    .orderBy('start_port')
    .orderBy('end_port');
  const lists = filter.ids !== undefined ? [filter.ids] : [filter.sourceIds, filter.destIds];
  if (lists.some((l) => l?.length === 0)) return [];
  if (filter.ids !== undefined) {
    const ids = filter.ids;
    q = q.where((eb) => eb.or([eb('source_app_guid', 'in', ids), eb('dest_app_guid', 'in', ids)]));
  } else {
    if (filter.sourceIds) q = q.where('source_app_guid', 'in', filter.sourceIds);
    if (filter.destIds) q = q.where('dest_app_guid', 'in', filter.destIds);
  }
  return (await q.execute()).map(policyFromRow);
}

/** The apps some policy names, with their tags, in tag order: Cloud Foundry's tag listing. */
export async function listPolicyTags(db: Db): Promise<{ guid: string; tag: number }[]> {
  return db
    .selectFrom('apps')
    .select(['guid', 'tag'])
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('policies')
          .select('policies.source_app_guid')
          .where((p) =>
            p.or([
              p('policies.source_app_guid', '=', p.ref('apps.guid')),
              p('policies.dest_app_guid', '=', p.ref('apps.guid')),
            ]),
          ),
      ),
    )
    .orderBy('tag')
    .execute();
}

async function removePolicies(w: Writer, policies: Policy[]): Promise<void> {
  for (const chunk of chunks(policies, ROWS_PER_INSERT)) {
    await w.trx.deleteFrom('policies').where(isOneOf(chunk)).execute();
  }
  await w.deleteAll('policy', policies.map(policyKey));
}

/** The keys of those of `policies` that are stored. */
async function existingAmong(db: Db, policies: Policy[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunks(policies, ROWS_PER_INSERT)) {
    const rows = await db.selectFrom('policies').selectAll().where(isOneOf(chunk)).execute();
    for (const r of rows) found.add(policyKey(policyFromRow(r)));
  }
  return found;
}

/** Cloud Foundry's quota guard: 403 "policy quota exceeded" when a source app would pass the limit. */
async function checkPerSourceLimit(db: Db, added: Policy[], limit: number): Promise<void> {
  const adding = new Map<string, number>();
  for (const p of added) adding.set(p.sourceAppGuid, (adding.get(p.sourceAppGuid) ?? 0) + 1);
  for (const sources of chunks([...adding.keys()], GUIDS_PER_QUERY)) {
    const held = await db
      .selectFrom('policies')
      .select((eb) => ['source_app_guid', eb.fn.countAll<number>().as('n')])
      .where('source_app_guid', 'in', sources)
      .groupBy('source_app_guid')
      .execute();
    const heldBy = new Map(held.map((r) => [r.source_app_guid, Number(r.n)]));
    for (const source of sources) {
      const total = (heldBy.get(source) ?? 0) + (adding.get(source) ?? 0);
      if (total > limit) {
        throw forbidden(
          `policy quota exceeded; app ${source} would have ${total} policies as a source, more than ` +
            `the ${limit} a space developer may give one app`,
        );
      }
    }
  }
}

async function requireApps(db: Db, policies: Policy[]): Promise<void> {
  const guids = [...new Set(policies.flatMap((p) => [p.sourceAppGuid, p.destAppGuid]))];
  const found = new Set<string>();
  for (const chunk of chunks(guids, GUIDS_PER_QUERY)) {
    const rows = await db.selectFrom('apps').select('guid').where('guid', 'in', chunk).execute();
    for (const r of rows) found.add(r.guid);
  }
  policies.forEach((p, i) => {
    for (const [end, guid] of [
      ['source', p.sourceAppGuid],
      ['destination', p.destAppGuid],
    ] as const) {
      if (!found.has(guid)) {
        throw forbidden(`${CANNOT_ACCESS}; policies[${i}].${end}.id: no app with GUID ${guid}`);
      }
    }
  });
}

/**
 * "The row is one of these policies", as a semi-join on a VALUES list: PostgreSQL plans it in no time,
 * where a list of 500 row values costs it a tenth of a second to plan.
 */
function isOneOf(policies: Policy[]) {
  const rows = policies.map(
    (p) =>
      sql`(${p.sourceAppGuid}, ${p.destAppGuid}, ${p.protocol}, cast(${p.startPort} as integer), cast(${p.endPort} as integer))`,
  );
  return sql<boolean>`(source_app_guid, dest_app_guid, protocol, start_port, end_port) in (values ${sql.join(rows)})`;
}

function dedupe(policies: Policy[]): Policy[] {
  return [...new Map(policies.map((p) => [policyKey(p), p])).values()];
}
