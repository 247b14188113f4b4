// Applies the cell-loss plan (cells/loss-plan.ts) in one transaction. Every update is conditional on what
// the plan was made from, so two servers sweeping one database at once act once: the second finds
// nothing left to change (on PostgreSQL writers also queue on the store's lock).
import { planCellLoss, type LossPlan, type LossTimings } from '../cells/loss-plan.js';
import type { Instance } from '../model/types.js';
import { instanceFromRow } from './rows.js';
import type { Db, Writer } from './writer.js';

export interface SweepOutcome {
  lost: string[];
  rescheduled: number;
  left: number;
  released: string[];
}

/** The plan for the store as it is now; empty when there is nothing to do. */
export async function planSweep(db: Db, nowMs: number, timings: LossTimings): Promise<LossPlan> {
  const cells = await db.selectFrom('cells').select(['id', 'state', 'last_seen', 'lost_at']).execute();
  const instances = await db.selectFrom('instances').select(['guid', 'cell_id', 'external']).execute();
  return planCellLoss(
    cells.map((c) => ({
      id: c.id,
      state: c.state,
      lastSeenMs: c.last_seen === null ? null : Date.parse(c.last_seen),
      lostAtMs: c.lost_at === null ? null : Date.parse(c.lost_at),
    })),
    instances.map((i) => ({ guid: i.guid, cellId: i.cell_id, external: i.external !== 0 })),
    nowMs,
    timings,
  );
}

export function isEmptyPlan(plan: LossPlan): boolean {
  return plan.lose.length + plan.moves.length + plan.leave.length + plan.release.length === 0;
}

export async function sweepCells(w: Writer, nowMs: number, timings: LossTimings): Promise<SweepOutcome> {
  const plan = await planSweep(w.trx, nowMs, timings);
  const now = new Date(nowMs).toISOString();
  const lost: string[] = [];
  for (const id of plan.lose) {
    const cutoff = new Date(nowMs - timings.lostAfterMs).toISOString();
    const done = await w.trx
      .updateTable('cells')
      .set({ state: 'lost', lost_at: now })
      .where('id', '=', id)
      .where('state', '=', 'alive')
      .where('last_seen', '<', cutoff)
      .executeTakeFirst();
    if (done.numUpdatedRows === 0n) continue;
    lost.push(id);
    await w.audit('cell.lost', `cell:${id}`, { state: 'alive' }, { state: 'lost', lostAt: now });
  }
  // Only the instances of cells this sweep declared lost (or waiting ones) move.
  const movable = new Set(['', ...lost]);
  let rescheduled = 0;
  for (const move of plan.moves.filter((m) => movable.has(m.from))) {
    const before = await instanceOn(w, move.guid, move.from);
    if (!before) continue;
    const after: Instance = {
      ...withoutStack(before),
      cellId: move.to,
      state: 'STARTING',
      ip: null,
      since: now,
    };
    await w.trx
      .updateTable('instances')
      .set({ cell_id: move.to, state: 'STARTING', ip: null, since: now, stack: null })
      .where('guid', '=', move.guid)
      .where('cell_id', '=', move.from)
      .execute();
    await w.put('instance', move.guid, after);
    if (move.from !== '') {
      await w.audit('instance.rescheduled', `instance:${move.guid}`, before, after);
      rescheduled += 1;
    }
  }
  let left = 0;
  for (const leave of plan.leave.filter((l) => movable.has(l.from))) {
    const before = await instanceOn(w, leave.guid, leave.from);
    if (!before) continue;
    await w.trx.deleteFrom('instances').where('guid', '=', leave.guid).execute();
    await w.delete('instance', leave.guid);
    await w.audit('instance.leave', `instance:${leave.guid}`, before, null);
    left += 1;
  }
  const released: string[] = [];
  for (const id of plan.release) {
    const cell = await w.trx
      .selectFrom('cells')
      .select(['subnet', 'lost_at'])
      .where('id', '=', id)
      .where('state', '=', 'lost')
      .executeTakeFirst();
    const graceEnd = new Date(nowMs - timings.leaseGraceMs).toISOString();
    if (!cell || cell.lost_at === null || cell.lost_at >= graceEnd) continue;
    // Instances placed on it since (none should be: placement skips lost cells) would lose their cell.
    const placed = await w.trx.selectFrom('instances').select('guid').where('cell_id', '=', id).execute();
    if (placed.length > 0) continue;
    await w.trx.deleteFrom('cells').where('id', '=', id).where('state', '=', 'lost').execute();
    await w.delete('cell', id);
    await w.audit('lease.released', `cell:${id}`, { subnet: cell.subnet, lostAt: cell.lost_at }, null);
    released.push(id);
  }
  return { lost, rescheduled, left, released };
}

async function instanceOn(w: Writer, guid: string, cellId: string): Promise<Instance | null> {
  const row = await w.trx
    .selectFrom('instances')
    .selectAll()
    .where('guid', '=', guid)
    .where('cell_id', '=', cellId)
    .executeTakeFirst();
  return row ? instanceFromRow(row) : null;
}

/** The stack is the old container's: the new cell reports its own. */
function withoutStack(i: Instance): Instance {
  const { stack: _stack, ...rest } = i;
  return rest;
}
