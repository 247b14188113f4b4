// What a cell knows of the instances it runs: the pieces that exist only on this host.
export interface LocalInstance {
  guid: string;
  appGuid: string;
  index: number;
  ip: string;
  hostIface: string;
  netns: string;
  uid: number;
  /** Gateway port of the 61443 listener, then one per app port (61001, 61002, …). */
  proxyPorts: { port: number; proxyPort: number; backendPort: number }[];
  /** Set when an outside runtime started the container (CNI ADD with an app's network): weft runs no process. */
  outside?: OutsideContainer;
}

/** A container another runtime made, as its CNI ADD named it. */
export interface OutsideContainer {
  containerId: string;
  netnsPath: string;
  ifname: string;
}

export const DNS_PORT = 53;
