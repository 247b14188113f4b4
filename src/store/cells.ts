// Cells: each leases one subnet of the overlay and runs the instances placed on it (store/instances.ts).
// A cell heartbeats (recordPresence); one silent too long is declared lost (cell-sweep.ts).
import type { CellStatus } from '../contract/api.js';
import type { Cell } from '../model/types.js';
import { conflict, invalid } from '../model/errors.js';
import { requireAliveCell } from './cell-state.js';
import { cidrContains, splitOverlay } from '../network/cidr.js';
import { placeWaitingInstances } from './instances.js';
import { cellFromRow } from './rows.js';
import { getSetting } from './settings.js';
import type { Db, Writer } from './writer.js';

const CELL_SUBNET_PREFIX = 24;

/**
 * Registers a cell, leasing it the lowest free subnet; a known cell keeps its lease. A cell declared
 * lost whose lease is still held comes back alive with it; the instances moved away stay where they are.
 */
export async function registerCell(w: Writer, id: string, hostIp: string): Promise<Cell> {
  const overlay = await getSetting(w.trx, 'overlay_cidr');
  if (overlay === null) throw conflict('the control plane has no overlay network configured');
  // The overlay travels to host addresses: one inside it would loop VXLAN into the overlay itself.
  if (cidrContains(overlay, hostIp)) throw invalid(`hostIp: ${hostIp} is inside the overlay ${overlay}`);
  const known = await w.trx.selectFrom('cells').selectAll().where('id', '=', id).executeTakeFirst();
  if (known) {
    if (known.state === 'lost') {
      await w.trx
        .updateTable('cells')
        .set({ state: 'alive', lost_at: null, last_seen: new Date().toISOString() })
        .where('id', '=', id)
        .execute();
      await w.audit(
        'cell.return',
        `cell:${id}`,
        { state: 'lost', lostAt: known.lost_at },
        { state: 'alive' },
      );
      // Instances that found no alive cell when this one was lost waited for one: it is one again.
      await placeWaitingInstances(w);
    }
    if (known.host_ip === hostIp) return cellFromRow(known);
    await w.trx.updateTable('cells').set({ host_ip: hostIp }).where('id', '=', id).execute();
    const before = cellFromRow(known);
    const moved = { ...before, hostIp };
    await w.put('cell', id, moved);
    await w.audit('cell.move', `cell:${id}`, before, moved);
    return moved;
  }
  const leased = new Set((await w.trx.selectFrom('cells').select('subnet').execute()).map((r) => r.subnet));
  // Subnet 0 holds the overlay's network address; leave it unused as Cloud Foundry's silk does.
  const subnet = splitOverlay(overlay, CELL_SUBNET_PREFIX)
    .slice(1)
    .find((s) => !leased.has(s));
  if (subnet === undefined)
    throw conflict(`the overlay ${overlay} has no free /${CELL_SUBNET_PREFIX} left for a cell`);
  const cell: Cell = { id, hostIp, subnet };
  await w.trx.insertInto('cells').values({ id, host_ip: hostIp, subnet }).execute();
  await w.put('cell', id, cell);
  await w.audit('cell.register', `cell:${id}`, null, cell);
  await placeWaitingInstances(w);
  return cell;
}

/** Every cell with its presence and load, for operators (`weft cells`). */
export async function listCellStatus(db: Db, revision: number): Promise<CellStatus[]> {
  const rows = await db
    .selectFrom('cells')
    .leftJoin('instances', 'instances.cell_id', 'cells.id')
    .selectAll('cells')
    .select((eb) => eb.fn.count('instances.guid').as('placed'))
    .groupBy(['cells.id', 'cells.host_ip', 'cells.subnet', 'cells.state'])
    .groupBy(['cells.last_seen', 'cells.lost_at', 'cells.running', 'cells.revision'])
    .orderBy('cells.id')
    .execute();
  return rows.map((r) => ({
    ...cellFromRow(r),
    state: r.state,
    lastSeen: r.last_seen,
    lostAt: r.lost_at,
    instances: Number(r.placed),
    running: r.running,
    behind: r.revision === null ? null : Math.max(0, revision - r.revision),
  }));
}

/**
 * Notes a cell's heartbeat. Only an alive cell's counts: a cell declared lost must register again
 * (409), one whose lease was released or that never registered is unknown (404).
 */
export async function recordPresence(
  db: Db,
  id: string,
  presence: { running: number; revision?: number },
): Promise<void> {
  const updated = await db
    .updateTable('cells')
    .set({
      last_seen: new Date().toISOString(),
      running: presence.running,
      revision: presence.revision ?? null,
    })
    .where('id', '=', id)
    .where('state', '=', 'alive')
    .executeTakeFirst();
  if (updated.numUpdatedRows > 0n) return;
  await requireAliveCell(db, id);
}
