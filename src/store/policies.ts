// Network policies: source app → destination app on a protocol and port range.
import { policyKey, type Policy } from '../model/types.js';
import type { ExpressionBuilder } from 'kysely';
import { invalid } from '../model/errors.js';
import type { Database } from './schema.js';
import { policyFromRow, policyToRow } from './rows.js';
import type { Db, Writer } from './writer.js';

export interface PolicyFilter {
  /** Policies involving any of these apps as source or destination (the API's `id`). */
  ids?: string[];
  sourceIds?: string[];
  destIds?: string[];
}

/** Adds policies all-or-nothing; ones that exist already are left as they are. */
export async function createPolicies(w: Writer, policies: Policy[], maxPerSource: number): Promise<Policy[]> {
  await requireApps(w.trx, policies);
  const fresh = dedupe(policies);
  const added: Policy[] = [];
  const perSource = new Map<string, number>();
  for (const p of fresh) {
    const exists = await w.trx
      .selectFrom('policies')
      .select('protocol')
      .where(samePolicy(p))
      .executeTakeFirst();
    if (exists) continue;
    if (!perSource.has(p.sourceAppGuid)) {
      const row = await w.trx
        .selectFrom('policies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('source_app_guid', '=', p.sourceAppGuid)
        .executeTakeFirstOrThrow();
      perSource.set(p.sourceAppGuid, Number(row.n));
    }
    const count = (perSource.get(p.sourceAppGuid) ?? 0) + 1;
    if (count > maxPerSource) {
      throw invalid(
        `policies: app ${p.sourceAppGuid} would have more than ${maxPerSource} policies as a source (the platform's limit)`,
      );
    }
    perSource.set(p.sourceAppGuid, count);
    await w.trx.insertInto('policies').values(policyToRow(p)).execute();
    await w.put('policy', policyKey(p), p);
    added.push(p);
  }
  if (added.length > 0) await w.audit('policy.create', 'policies', null, added);
  return added;
}

/** Removes policies all-or-nothing; ones that do not exist are skipped, as Cloud Foundry does. */
export async function deletePolicies(w: Writer, policies: Policy[]): Promise<Policy[]> {
  const removed: Policy[] = [];
  for (const p of dedupe(policies)) {
    const result = await w.trx.deleteFrom('policies').where(samePolicy(p)).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) continue;
    await w.delete('policy', policyKey(p));
    removed.push(p);
  }
  if (removed.length > 0) await w.audit('policy.delete', 'policies', removed, null);
  return removed;
}

export async function listPolicies(db: Db, filter: PolicyFilter = {}): Promise<Policy[]> {
  let q = db
    .selectFrom('policies')
    .selectAll()
    .orderBy('source_app_guid')
    .orderBy('dest_app_guid')
    .orderBy('protocol')
    .orderBy('start_port')
    .orderBy('end_port');
  if (filter.ids) {
    const ids = filter.ids;
    q = q.where((eb) => eb.or([eb('source_app_guid', 'in', ids), eb('dest_app_guid', 'in', ids)]));
  }
  if (filter.sourceIds) q = q.where('source_app_guid', 'in', filter.sourceIds);
  if (filter.destIds) q = q.where('dest_app_guid', 'in', filter.destIds);
  if ([filter.ids, filter.sourceIds, filter.destIds].some((l) => l?.length === 0)) return [];
  return (await q.execute()).map(policyFromRow);
}

async function requireApps(db: Db, policies: Policy[]): Promise<void> {
  const guids = [...new Set(policies.flatMap((p) => [p.sourceAppGuid, p.destAppGuid]))];
  if (guids.length === 0) return;
  const found = new Set(
    (await db.selectFrom('apps').select('guid').where('guid', 'in', guids).execute()).map((r) => r.guid),
  );
  policies.forEach((p, i) => {
    if (!found.has(p.sourceAppGuid))
      throw invalid(`policies[${i}].source.id: no app with GUID ${p.sourceAppGuid}`);
    if (!found.has(p.destAppGuid)) {
      throw invalid(`policies[${i}].destination.id: no app with GUID ${p.destAppGuid}`);
    }
  });
}

/** The row of exactly this policy (all five columns form the key). */
function samePolicy(p: Policy) {
  return (eb: ExpressionBuilder<Database, 'policies'>) =>
    eb.and({
      source_app_guid: p.sourceAppGuid,
      dest_app_guid: p.destAppGuid,
      protocol: p.protocol,
      start_port: p.startPort,
      end_port: p.endPort,
    });
}

function dedupe(policies: Policy[]): Policy[] {
  return [...new Map(policies.map((p) => [policyKey(p), p])).values()];
}
