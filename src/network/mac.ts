// MAC addresses weft derives from IPv4 addresses, so no peer and no CNI result has to read them back.
import { parseIpv4 } from './cidr.js';

/** Two octets of `prefix` (locally administered unicast), then the four of `ip`. */
export function ipv4Mac(prefix: readonly [number, number], ip: string): string {
  const n = parseIpv4(ip);
  const bytes = [...prefix, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
