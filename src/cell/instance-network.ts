// An instance of weft's own joins the network the one way every container does, through the weft-cni
// plugin: the cell makes a named namespace for it, then calls the plugin as a runtime would.
import { invokeCni } from '../network/cni/client.js';
import { addNamedNetns, deleteNamedNetns, namedNetnsPath } from '../network/named-netns.js';
import type { LocalInstance } from './local.js';

export const CONTAINER_IFNAME = 'eth0';

function call(local: Pick<LocalInstance, 'guid' | 'netns'>) {
  return {
    containerId: local.guid,
    netnsPath: namedNetnsPath(local.netns),
    ifname: CONTAINER_IFNAME,
    instanceGuid: local.guid,
  };
}

/** The namespace the cell made or is making for each of its instances, by GUID, until it is detached. */
const made = new Map<string, Promise<void>>();

/** The instance's namespace, empty: its container is created in it while the plugin wires it. */
export function addInstanceNetns(local: Pick<LocalInstance, 'guid' | 'netns'>): Promise<void> {
  const adding = addNamedNetns(local.netns).then(() => undefined);
  made.set(local.guid, adding);
  return adding;
}

/** Settles as the namespace the cell makes for instance `guid` is made, or fails to be (at once if it makes none). */
export function instanceNetnsMade(guid: string): Promise<void> {
  return made.get(guid) ?? Promise.resolve();
}

/**
 * CNI ADD; a failure leaves the namespace for the instance's stop (detachInstance) to remove. It may be
 * called as soon as addInstanceNetns is: the plugin's start (a shell and curl, ~15 ms, far more on a busy
 * host) then overlaps making the namespace, and the cell's ADD waits for it (instanceNetnsMade).
 */
export async function wireInstance(cniSocket: string, local: LocalInstance): Promise<void> {
  await invokeCni(cniSocket, 'ADD', call(local));
}

/** CNI DEL, then the namespace goes; both may be repeated. */
export async function detachInstance(
  cniSocket: string,
  local: Pick<LocalInstance, 'guid' | 'netns'>,
): Promise<void> {
  await invokeCni(cniSocket, 'DEL', call(local));
  await deleteNamedNetns(local.netns);
  made.delete(local.guid);
}
