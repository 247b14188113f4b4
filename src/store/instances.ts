// Instances: the control plane places them on cells whenever an app's desired state changes; the
// cell each is placed on reports how it is doing, with an address of that cell's own lease.
import { randomUUID } from 'node:crypto';
import type { App, Instance, InstanceState } from '../model/types.js';
import { invalid, notFound } from '../model/errors.js';
import { isContainerAddress } from '../network/cidr.js';
import { requireAliveCell } from './cell-state.js';
import { instanceFromRow } from './rows.js';
import type { Db, Writer } from './writer.js';

export async function listInstances(db: Db, filter: { appGuid?: string } = {}): Promise<Instance[]> {
  let q = db.selectFrom('instances').selectAll().orderBy('app_guid').orderBy('idx');
  if (filter.appGuid !== undefined) q = q.where('app_guid', '=', filter.appGuid);
  return (await q.execute()).map(instanceFromRow);
}

/** The instance, if it is placed on this cell; a cell asking about any other learns nothing. */
export async function instanceOnCell(db: Db, cellId: string, guid: string): Promise<Instance> {
  const row = await db
    .selectFrom('instances')
    .selectAll()
    .where('guid', '=', guid)
    .where('cell_id', '=', cellId)
    .executeTakeFirst();
  if (!row) throw notFound(`instance ${guid} not found on cell ${cellId}`);
  return instanceFromRow(row);
}

/** Brings the app's instances to its desired count: indexes 0..n-1 while started, none while stopped. */
export async function placeInstances(w: Writer, app: App): Promise<void> {
  const want = app.state === 'STARTED' ? app.instances : 0;
  // Instances outside runtimes started come and go with their containers only.
  const have = (await listInstances(w.trx, { appGuid: app.guid }))
    .filter((i) => !i.external)
    .sort((a, b) => a.index - b.index);
  for (const i of have.filter((i) => i.index >= want)) {
    await w.trx.deleteFrom('instances').where('guid', '=', i.guid).execute();
    await w.delete('instance', i.guid);
  }
  const present = new Set(have.map((i) => i.index));
  for (let index = 0; index < want; index++) {
    if (present.has(index)) continue;
    const instance: Instance = {
      guid: randomUUID(),
      appGuid: app.guid,
      index,
      cellId: await leastLoadedCell(w),
      state: 'STARTING',
      ip: null,
      since: new Date().toISOString(),
    };
    await w.trx
      .insertInto('instances')
      .values({
        guid: instance.guid,
        app_guid: app.guid,
        idx: index,
        cell_id: instance.cellId,
        state: instance.state,
        ip: null,
        since: instance.since,
      })
      .execute();
    await w.put('instance', instance.guid, instance);
  }
}

/** Stops every instance and starts new ones (new instance GUIDs), as `cf restart` does. */
export async function replaceInstances(w: Writer, app: App): Promise<void> {
  await placeInstances(w, { ...app, state: 'STOPPED' });
  await placeInstances(w, app);
}

export async function deleteInstancesOf(w: Writer, appGuid: string): Promise<void> {
  const instances = await w.trx
    .selectFrom('instances')
    .select('guid')
    .where('app_guid', '=', appGuid)
    .execute();
  for (const i of instances) await w.delete('instance', i.guid);
}

/** Places instances that waited for a cell; called when a cell registers. */
export async function placeWaitingInstances(w: Writer): Promise<void> {
  const waiting = await w.trx.selectFrom('instances').selectAll().where('cell_id', '=', '').execute();
  for (const row of waiting) {
    const cellId = await leastLoadedCell(w);
    await w.trx.updateTable('instances').set({ cell_id: cellId }).where('guid', '=', row.guid).execute();
    await w.put('instance', row.guid, { ...instanceFromRow(row), cellId });
  }
}

async function leastLoadedCell(w: Writer): Promise<string> {
  const cells = await w.trx
    .selectFrom('cells')
    .leftJoin('instances', 'instances.cell_id', 'cells.id')
    .select(['cells.id', (eb) => eb.fn.count('instances.guid').as('n')])
    // A lost cell is never chosen: its instances were just moved away from it.
    .where('cells.state', '=', 'alive')
    .groupBy('cells.id')
    .orderBy('n')
    .orderBy('cells.id')
    .execute();
  // '' marks an instance that waits for the first cell to register.
  return cells[0]?.id ?? '';
}

const REPORTABLE: InstanceState[] = ['STARTING', 'RUNNING', 'CRASHED'];

/**
 * A cell's word on how an instance placed on it is doing, and on the stack its container runs on. The address must be a container address of
 * that cell's own lease (not its network, gateway or broadcast address): a report can never put an
 * address into another cell's plan. Unchanged reports write nothing.
 */
export async function reportInstance(
  w: Writer,
  cellId: string,
  guid: string,
  report: { state: InstanceState; ip: string | null; stack?: string },
): Promise<Instance> {
  if (!REPORTABLE.includes(report.state)) throw invalid(`state: must be one of ${REPORTABLE.join(', ')}`);
  // A lost cell's instances have moved: its word must never overwrite their new placement or address.
  await requireAliveCell(w.trx, cellId);
  const before = await instanceOnCell(w.trx, cellId, guid);
  if (report.ip !== null) {
    const cell = await w.trx.selectFrom('cells').select('subnet').where('id', '=', cellId).executeTakeFirst();
    if (!cell || !isContainerAddress(cell.subnet, report.ip)) {
      throw invalid(
        `ip: ${report.ip} is not a container address of cell ${cellId}'s lease ${cell?.subnet ?? ''}`,
      );
    }
  }
  const stack = report.stack ?? before.stack;
  if (before.state === report.state && before.ip === report.ip && before.stack === stack) return before;
  const moved = before.state !== report.state || before.ip !== report.ip;
  const since = moved ? new Date().toISOString() : before.since;
  const after: Instance = {
    ...before,
    state: report.state,
    ip: report.ip,
    since,
    ...(stack !== undefined ? { stack } : {}),
  };
  await w.trx
    .updateTable('instances')
    .set({ state: after.state, ip: after.ip, since: after.since, stack: stack ?? null })
    .where('guid', '=', guid)
    .execute();
  await w.put('instance', guid, after);
  await w.audit('instance.report', `instance:${guid}`, before, after);
  return after;
}
