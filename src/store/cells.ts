// Cells: each leases one subnet of the overlay, runs the instances placed on it and reports on them.
import type { Cell, Instance, InstanceState } from '../model/types.js';
import { conflict, invalid, notFound } from '../model/errors.js';
import { splitOverlay } from '../network/cidr.js';
import { placeWaitingInstances } from './apps.js';
import { cellFromRow, instanceFromRow } from './rows.js';
import { getSetting } from './settings.js';
import type { Db, Writer } from './writer.js';

const CELL_SUBNET_PREFIX = 24;

/** Registers a cell, leasing it the lowest free subnet; a known cell keeps its lease. */
export async function registerCell(w: Writer, id: string, hostIp: string): Promise<Cell> {
  const known = await w.trx.selectFrom('cells').selectAll().where('id', '=', id).executeTakeFirst();
  if (known) {
    if (known.host_ip === hostIp) return cellFromRow(known);
    await w.trx.updateTable('cells').set({ host_ip: hostIp }).where('id', '=', id).execute();
    const moved = { ...cellFromRow(known), hostIp };
    await w.put('cell', id, moved);
    return moved;
  }
  const overlay = await getSetting(w.trx, 'overlay_cidr');
  if (overlay === null) throw conflict('the control plane has no overlay network configured');
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

const REPORTABLE: InstanceState[] = ['STARTING', 'RUNNING', 'CRASHED'];

/** A cell's word on how an instance placed on it is doing. Unchanged reports write nothing. */
export async function reportInstance(
  w: Writer,
  cellId: string,
  guid: string,
  report: { state: InstanceState; ip: string | null },
): Promise<Instance> {
  if (!REPORTABLE.includes(report.state)) throw invalid(`state: must be one of ${REPORTABLE.join(', ')}`);
  const row = await w.trx.selectFrom('instances').selectAll().where('guid', '=', guid).executeTakeFirst();
  if (!row) throw notFound(`instance ${guid} not found`);
  if (row.cell_id !== cellId) throw conflict(`instance ${guid} is not placed on cell ${cellId}`);
  const before = instanceFromRow(row);
  if (before.state === report.state && before.ip === report.ip) return before;
  const after: Instance = { ...before, state: report.state, ip: report.ip, since: new Date().toISOString() };
  await w.trx
    .updateTable('instances')
    .set({ state: after.state, ip: after.ip, since: after.since })
    .where('guid', '=', guid)
    .execute();
  await w.put('instance', guid, after);
  return after;
}
