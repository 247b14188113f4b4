// The one reading of resolv.conf: `nameserver` lines in order, comments (# or ;) ignored, malformed
// addresses skipped. An IPv6 link-local address may carry its interface as `%zone`.
import net from 'node:net';

export function resolvConfNameservers(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const [keyword, address] = line
      .replace(/[#;].*/, '')
      .trim()
      .split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    if (net.isIP(address.split('%')[0] ?? '') === 0) continue;
    servers.push(address);
  }
  return servers;
}
