// What each instance on this cell gets that exists only on this host: its address in the cell's subnet,
// and from the address's slot in the subnet, its uid, its names and its block of proxy ports. Pure: the
// same inputs always give the same instance, so a restarted cell can check what it adopts.
import { allocateIp, parseCidr, parseIpv4 } from '../network/cidr.js';
import { APP_HTTP_PORT, C2C_TLS_PORT, FIRST_APP_TLS_PORT, MAX_APP_PORTS } from '../model/ports.js';
import type { Instance, StreamApp } from '../model/types.js';
import type { ListenerGroup } from '../proxy/index.js';
import type { CellLinks } from './links.js';
import type { LocalInstance } from './local.js';

/** Apps run as uid FIRST_UID + slot: one uid per address, never shared by two tenants' instances at once. */
export const FIRST_UID = 40_000;

/**
 * Proxy listeners sit below Linux's ephemeral range (32768-60999 by default), so no outgoing connection
 * of the host can take one; each slot owns one port for 61443 and one per port an app may declare.
 */
export const FIRST_PROXY_PORT = 20_000;
export const PROXY_PORTS_PER_INSTANCE = 1 + MAX_APP_PORTS;

export interface Allocator {
  subnet: string;
  gatewayIp: string;
  links: CellLinks;
}

/** The instance `instance` of `app` as this cell runs it, at the lowest address none of `used` holds. */
export function allocateLocal(
  cell: Allocator,
  instance: Instance,
  app: StreamApp,
  used: ReadonlySet<string>,
): LocalInstance {
  const ip = allocateIp(cell.subnet, new Set([cell.gatewayIp, ...used]));
  const slot = parseIpv4(ip) - parseCidr(cell.subnet).base;
  return {
    guid: instance.guid,
    appGuid: instance.appGuid,
    index: instance.index,
    ip,
    hostIface: cell.links.container(instance.guid),
    netns: `weft-${instance.guid.replaceAll('-', '').slice(0, 8)}`,
    uid: FIRST_UID + slot,
    proxyPorts: proxiedPorts(app, FIRST_PROXY_PORT + slot * PROXY_PORTS_PER_INSTANCE),
  };
}

/** Ports the proxy serves for an app: 61443 → 8080 with the c2c certificate, 61001+i → the app's i-th port. */
export function proxiedPorts(app: StreamApp, firstProxyPort: number): LocalInstance['proxyPorts'] {
  if (app.ports.length > MAX_APP_PORTS) {
    throw new Error(`app ${app.guid} declares ${app.ports.length} ports; at most ${MAX_APP_PORTS} fit`);
  }
  const ports: LocalInstance['proxyPorts'] = [];
  if (app.ports.includes(APP_HTTP_PORT)) {
    ports.push({ port: C2C_TLS_PORT, proxyPort: firstProxyPort, backendPort: APP_HTTP_PORT });
  }
  app.ports.forEach((p, i) => {
    ports.push({ port: FIRST_APP_TLS_PORT + i, proxyPort: firstProxyPort + 1 + i, backendPort: p });
  });
  return ports;
}

/**
 * Every listener the cell's proxy binds at start, two per slot of the subnet: 61443's port alone (its own
 * certificate), and the app ports together (they all serve the instance's identity certificate).
 */
export function proxyListeners(subnet: string, gatewayIp: string): ListenerGroup[] {
  const slots = 2 ** (32 - parseCidr(subnet).prefix);
  const groups: ListenerGroup[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const first = FIRST_PROXY_PORT + slot * PROXY_PORTS_PER_INSTANCE;
    groups.push({ host: gatewayIp, ports: [first] });
    groups.push({ host: gatewayIp, ports: Array.from({ length: MAX_APP_PORTS }, (_, i) => first + 1 + i) });
  }
  return groups;
}

/** The proxy ports a subnet's slots can take, to check against the host's ephemeral range at start. */
export function proxyPortSpan(subnet: string): { first: number; last: number } {
  const c = parseCidr(subnet);
  const slots = 2 ** (32 - c.prefix);
  return { first: FIRST_PROXY_PORT, last: FIRST_PROXY_PORT + slots * PROXY_PORTS_PER_INSTANCE - 1 };
}
