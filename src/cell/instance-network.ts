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

/** Creates the instance's namespace and wires it (CNI ADD); on failure nothing is left. */
export async function attachInstance(cniSocket: string, local: LocalInstance): Promise<void> {
  await addNamedNetns(local.netns);
  try {
    await invokeCni(cniSocket, 'ADD', call(local));
  } catch (err) {
    await deleteNamedNetns(local.netns);
    throw err;
  }
}

/** CNI DEL, then the namespace goes; both may be repeated. */
export async function detachInstance(
  cniSocket: string,
  local: Pick<LocalInstance, 'guid' | 'netns'>,
): Promise<void> {
  await invokeCni(cniSocket, 'DEL', call(local));
  await deleteNamedNetns(local.netns);
}
