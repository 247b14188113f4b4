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

/** The instance's namespace, empty: its container is created in it while the plugin wires it. */
export async function addInstanceNetns(local: Pick<LocalInstance, 'netns'>): Promise<void> {
  await addNamedNetns(local.netns);
}

/** CNI ADD; a failure leaves the namespace for the instance's stop (detachInstance) to remove. */
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
}
