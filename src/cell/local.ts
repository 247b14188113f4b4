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
}

export const C2C_TLS_PORT = 61443;
export const FIRST_APP_TLS_PORT = 61001;
export const APP_HTTP_PORT = 8080;
export const DNS_PORT = 53;
