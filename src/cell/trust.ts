// Files every container mounts read-only: the host's trust store plus the platform CA, the CA alone
// (Cloud Foundry's /etc/cf-system-certificates), and a resolv.conf naming the cell's DNS.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CellPaths } from './paths.js';

const HOST_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function writeTrust(paths: CellPaths, caPem: string, dnsIp: string): Promise<void> {
  await fs.mkdir(paths.systemCertificates, { recursive: true, mode: 0o755 });
  await fs.chmod(path.dirname(paths.trustBundle), 0o755);
  const hostBundle = await fs.readFile(HOST_BUNDLE, 'utf8').catch(() => '');
  const ca = caPem.endsWith('\n') ? caPem : `${caPem}\n`;
  await fs.writeFile(paths.trustBundle, `${hostBundle}${ca}`, { mode: 0o644 });
  await fs.writeFile(path.join(paths.systemCertificates, 'weft-ca.crt'), ca, { mode: 0o644 });
  await fs.writeFile(paths.resolvConf, `nameserver ${dnsIp}\noptions ndots:1 timeout:1\n`, { mode: 0o644 });
}
