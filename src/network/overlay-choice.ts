// Picks an overlay CIDR that cannot capture the host's own traffic: a route for an overlay covering a
// host address, route or DNS resolver would cut the host off (here the resolver is 10.255.255.53).
import { readFile } from 'node:fs/promises';
import { cidrContains, cidrsOverlap, isIpv4, parseCidr } from './cidr.js';
import { resolvConfNameservers } from './resolv-conf.js';
import { run } from '../host/run.js';
import { WEFT_LINK_ALIAS_PREFIX, WEFT_ROUTE_PROTO } from './marks.js';

export interface HostFacts {
  addresses: { ip: string; iface: string }[];
  /** Destinations as CIDRs, without the default route. */
  routes: { dst: string; dev?: string }[];
  resolvers: { ip: string; source: string }[];
}

const CF_DEFAULT_OVERLAY = '10.255.0.0/16';
const FALLBACK_OVERLAYS = ['10.254.0.0/16', '10.253.0.0/16', '172.30.0.0/16', '100.96.0.0/16'];

/** Reasons the overlay would collide with the host; empty when it is free to use. */
export function checkOverlay(cidr: string, facts: HostFacts): string[] {
  parseCidr(cidr);
  return [
    ...facts.addresses
      .filter((a) => cidrContains(cidr, a.ip))
      .map((a) => `host address ${a.ip} on ${a.iface}`),
    ...facts.routes
      .filter((r) => cidrsOverlap(cidr, r.dst))
      .map((r) => `host route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`),
    ...facts.resolvers
      .filter((r) => cidrContains(cidr, r.ip))
      .map((r) => `DNS resolver ${r.ip} (${r.source})`),
  ];
}

export function chooseOverlay(
  configured: string | undefined,
  facts: HostFacts,
): { cidr: string; note: string } {
  const firstFree = (): string | undefined =>
    [CF_DEFAULT_OVERLAY, ...FALLBACK_OVERLAYS].find((c) => checkOverlay(c, facts).length === 0);

  if (configured !== undefined) {
    const reasons = checkOverlay(configured, facts);
    if (reasons.length > 0) {
      const free = firstFree();
      throw new Error(
        `overlay ${configured} overlaps this host: ${reasons.join('; ')}. ` +
          `Routing it to containers would cut the host off; configure another overlay` +
          (free ? ` (${free} is free here).` : '.'),
      );
    }
    return { cidr: configured, note: `using the configured overlay ${configured}` };
  }

  const defaultReasons = checkOverlay(CF_DEFAULT_OVERLAY, facts);
  if (defaultReasons.length === 0) {
    return { cidr: CF_DEFAULT_OVERLAY, note: `using Cloud Foundry's default overlay ${CF_DEFAULT_OVERLAY}` };
  }
  const free = FALLBACK_OVERLAYS.find((c) => checkOverlay(c, facts).length === 0);
  const why = `Cloud Foundry's default overlay ${CF_DEFAULT_OVERLAY} overlaps this host (${defaultReasons.join('; ')})`;
  if (free === undefined) {
    throw new Error(`${why}, and so do ${FALLBACK_OVERLAYS.join(', ')}; configure a free overlay CIDR`);
  }
  return { cidr: free, note: `${why}; using ${free} instead` };
}

interface IpAddrJson {
  ifname: string;
  ifalias?: string;
  addr_info?: { family: string; local: string }[];
}

interface IpRouteJson {
  dst: string;
  dev?: string;
  protocol?: string;
}

/** Host IPv4 addresses from `ip -j -d addr`, leaving out weft's own gateway and container links. */
export function addressesFromIpJson(links: IpAddrJson[]): HostFacts['addresses'] {
  return links
    .filter((l) => !l.ifalias?.startsWith(WEFT_LINK_ALIAS_PREFIX))
    .flatMap((l) =>
      (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => ({ ip: a.local, iface: l.ifname })),
    );
}

/** Host IPv4 routes from `ip -j route`, leaving out the default route and weft's own routes. */
export function routesFromIpJson(routes: IpRouteJson[]): HostFacts['routes'] {
  return routes
    .filter((r) => r.dst !== 'default' && r.dst !== '0.0.0.0/0' && r.protocol !== String(WEFT_ROUTE_PROTO))
    .map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, ...(r.dev ? { dev: r.dev } : {}) }));
}

/** The IPv4 resolvers of a resolv.conf: those an overlay could swallow. */
export function nameserversFromResolvConf(text: string): string[] {
  return resolvConfNameservers(text).filter((ip) => isIpv4(ip));
}

// systemd-resolved points /etc/resolv.conf at 127.0.0.53; its upstream servers live in the second file.
const RESOLV_CONF_FILES = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf'];

export async function readHostFacts(): Promise<HostFacts> {
  const [addrJson, routeJson] = await Promise.all([
    run(['ip', '-j', '-d', '-4', 'addr', 'show']),
    run(['ip', '-j', '-4', 'route', 'show']),
  ]);
  const resolvers: HostFacts['resolvers'] = [];
  for (const file of RESOLV_CONF_FILES) {
    const text = await readFile(file, 'utf8').catch(() => '');
    resolvers.push(...nameserversFromResolvConf(text).map((ip) => ({ ip, source: file })));
  }
  return {
    addresses: addressesFromIpJson(JSON.parse(addrJson) as IpAddrJson[]),
    routes: routesFromIpJson(JSON.parse(routeJson) as IpRouteJson[]),
    resolvers,
  };
}
