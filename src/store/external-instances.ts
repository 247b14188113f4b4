// Instances an outside runtime started: a container that joined an app through the weft-cni plugin on
// a cell. The cell registers and removes them; placement (instances.ts) never stops or replaces them.
import { randomUUID } from 'node:crypto';
import type { Instance } from '../model/types.js';
import { invalid } from '../model/errors.js';
import { getApp } from './apps.js';
import { requireAliveCell } from './cell-state.js';
import { instanceOnCell } from './instances.js';
import type { Writer } from './writer.js';

/** Outside runtimes' instances are numbered from here: above any count placement may reach. */
export const FIRST_EXTERNAL_INDEX = 10_000;

/**
 * An instance of a started app that an outside runtime started on this cell (CNI ADD through weft-cni),
 * at the next free index of the external range.
 */
export async function joinExternalInstance(w: Writer, cellId: string, appGuid: string): Promise<Instance> {
  const app = await getApp(w.trx, appGuid);
  if (app.state !== 'STARTED')
    throw invalid(`app ${app.name} is stopped: start it before containers join it`);
  await requireAliveCell(w.trx, cellId);
  const top = await w.trx
    .selectFrom('instances')
    .select((eb) => eb.fn.max('idx').as('idx'))
    .where('app_guid', '=', appGuid)
    .where('external', '=', 1)
    .executeTakeFirst();
  const instance: Instance = {
    guid: randomUUID(),
    appGuid,
    index: Math.max(Number(top?.idx ?? 0) + 1, FIRST_EXTERNAL_INDEX),
    cellId,
    state: 'STARTING',
    ip: null,
    since: new Date().toISOString(),
    external: true,
  };
  await w.trx
    .insertInto('instances')
    .values({
      guid: instance.guid,
      app_guid: appGuid,
      idx: instance.index,
      cell_id: cellId,
      state: instance.state,
      ip: null,
      since: instance.since,
      external: 1,
    })
    .execute();
  await w.put('instance', instance.guid, instance);
  await w.audit('instance.join', `instance:${instance.guid}`, null, instance);
  return instance;
}

/** Its container left (CNI DEL, or its cell found it gone); only outside runtimes' instances may leave. */
export async function leaveExternalInstance(w: Writer, cellId: string, guid: string): Promise<void> {
  const before = await instanceOnCell(w.trx, cellId, guid);
  if (!before.external) throw invalid(`instance ${guid} was placed by the platform; it cannot leave`);
  await w.trx.deleteFrom('instances').where('guid', '=', guid).execute();
  await w.delete('instance', guid);
  await w.audit('instance.leave', `instance:${guid}`, before, null);
}
