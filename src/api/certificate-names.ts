// The names the API's certificate carries: every way a client on this host or its networks reaches it.
import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

export interface HostNaming {
  /** The --listen host: an address, a name, or a wildcard (0.0.0.0, ::). */
  listenHost: string;
  hostname: string;
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Each --api-name: a DNS name or an address clients use from elsewhere (a load balancer, NAT). */
  apiNames: string[];
}

export interface CertificateNames {
  dnsNames: string[];
  ips: string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
// A hostname label (RFC 1123); os.hostname() may hold anything, and a bad name would fail the issue.
const DNS_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function apiCertificateNames(host: HostNaming): CertificateNames {
  const dnsNames = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  const add = (name: string) => {
    if (isIP(name) !== 0) ips.add(name);
    else if (DNS_NAME.test(name)) dnsNames.add(name.toLowerCase());
  };
  for (const name of host.apiNames) {
    if (isIP(name) === 0 && !DNS_NAME.test(name)) {
      throw new Error(`--api-name ${name}: expected a DNS name or an IP address`);
    }
    add(name);
  }
  if (!WILDCARDS.has(host.listenHost)) add(host.listenHost);
  add(host.hostname);
  for (const addresses of Object.values(host.interfaces)) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) ips.add(a.address);
  }
  return { dnsNames: [...dnsNames], ips: [...ips] };
}
