import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { Upstream } from './forwarder.js';

/** The `nameserver` entries of a resolv.conf, in order, on port 53; malformed addresses are skipped. */
export function hostResolvers(resolvConfText: string): Upstream[] {
  const resolvers: Upstream[] = [];
  for (const line of resolvConfText.split('\n')) {
    const [keyword, address] = line
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    // An IPv6 link-local address may carry its interface as `%zone`.
    if (net.isIP(address.split('%')[0] ?? '') === 0) continue;
    resolvers.push({ host: address, port: 53 });
  }
  return resolvers;
}

export async function readHostResolvers(path = '/etc/resolv.conf'): Promise<Upstream[]> {
  return hostResolvers(await readFile(path, 'utf8'));
}
