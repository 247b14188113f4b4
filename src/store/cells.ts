// Cells: each leases one subnet of the overlay and runs the instances placed on it (store/instances.ts).
import type { Cell } from '../model/types.js';
import { conflict, invalid } from '../model/errors.js';
import { cidrContains, splitOverlay } from '../network/cidr.js';
import { placeWaitingInstances } from './instances.js';
import { cellFromRow } from './rows.js';
import { getSetting } from './settings.js';
import type { Db, Writer } from './writer.js';

const CELL_SUBNET_PREFIX = 24;

/** Registers a cell, leasing it the lowest free subnet; a known cell keeps its lease. */
export async function registerCell(w: Writer, id: string, hostIp: string): Promise<Cell> {
  const overlay = await getSetting(w.trx, 'overlay_cidr');
  if (overlay === null) throw conflict('the control plane has no overlay network configured');
  // The overlay travels to host addresses: one inside it would loop VXLAN into the overlay itself.
  if (cidrContains(overlay, hostIp)) throw invalid(`hostIp: ${hostIp} is inside the overlay ${overlay}`);
  const known = await w.trx.selectFrom('cells').selectAll().where('id', '=', id).executeTakeFirst();
  if (known) {
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

export async function listCells(db: Db): Promise<Cell[]> {
  return (await db.selectFrom('cells').selectAll().orderBy('id').execute()).map(cellFromRow);
}
