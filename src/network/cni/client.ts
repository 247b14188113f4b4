// Runs the weft-cni plugin exactly as a container runtime does: the CNI_* variables in a clean environment,
// the network configuration on stdin, the result on stdout. The cell joins its own instances this way.
import path from 'node:path';
import { run } from '../../host/run.js';
import { cniPlugin } from './plugin-binary.js';
import { CNI_VERSION, INSTANCE_ARG, type CniCommand } from './protocol.js';

export const DEFAULT_CNI_SOCKET = '/run/weft/cni.sock';
/** The network name weft's own instances are attached under. */
export const OWN_NETWORK = 'weft';

export interface CniCall {
  containerId: string;
  netnsPath: string;
  ifname: string;
  instanceGuid: string;
}

/** The plugin's stdout; a failed call rejects with the CNI error the plugin printed. */
export async function invokeCni(socket: string, command: CniCommand, call: CniCall): Promise<string> {
  const config = { cniVersion: CNI_VERSION, name: OWN_NETWORK, type: 'weft-cni' };
  const plugin = await cniPlugin();
  return run(
    [
      'env',
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      `CNI_COMMAND=${command}`,
      `CNI_CONTAINERID=${call.containerId}`,
      `CNI_NETNS=${call.netnsPath}`,
      `CNI_IFNAME=${call.ifname}`,
      `CNI_ARGS=${INSTANCE_ARG}=${call.instanceGuid}`,
      `CNI_PATH=${path.dirname(plugin)}`,
      `WEFT_CNI_SOCKET=${socket}`,
      plugin,
    ],
    JSON.stringify(config),
  );
}
