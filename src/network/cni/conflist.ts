// The network configuration list that lets any CNI runtime join a container to an app: the runtime names
// the network (`podman run --network weft-web`) and weft-cni, given the app's GUID, does the rest.
import { CNI_VERSION } from './protocol.js';

export const NETWORK_PREFIX = 'weft-';

/** The CNI network name of an app; CNI allows fewer characters than app names may hold. */
export function appNetworkName(appName: string): string {
  const name = `${NETWORK_PREFIX}${appName}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name)) {
    throw new Error(`app name ${JSON.stringify(appName)} cannot name a CNI network: use A-Z a-z 0-9 _ . -`);
  }
  return name;
}

export function appConfList(appName: string, appGuid: string): object {
  return {
    cniVersion: CNI_VERSION,
    name: appNetworkName(appName),
    plugins: [{ type: 'weft-cni', app: appGuid }],
  };
}
