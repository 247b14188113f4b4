// The audit log: who changed what, when, with the before and after.
import type { AuditEvent } from '../contract/api.js';
import type { Db } from './writer.js';

export async function listEvents(db: Db, opts: { limit: number; target?: string }): Promise<AuditEvent[]> {
  let q = db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(opts.limit);
  if (opts.target !== undefined) q = q.where('target', '=', opts.target);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
  }));
}
