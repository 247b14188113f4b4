import { readFile } from 'node:fs/promises';
import { resolvConfNameservers } from '../network/resolv-conf.js';

/** A resolver DNS forwards to. */
export interface Upstream {
  host: string;
  port: number;
}

/** The host's resolvers, as DNS forwards to them: each `nameserver` of a resolv.conf on port 53. */
export function hostResolvers(resolvConfText: string): Upstream[] {
  return resolvConfNameservers(resolvConfText).map((host) => ({ host, port: 53 }));
}

export async function readHostResolvers(path = '/etc/resolv.conf'): Promise<Upstream[]> {
  return hostResolvers(await readFile(path, 'utf8'));
}
