// A cell's DNS (unbound) on a loopback port, for the tests that drive it without a whole cell.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CellDns, type CellDnsOptions } from '../../../src/dns/unbound/cell-dns.js';

/** A port free for TCP now; unbound takes the same number for UDP. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Started {
  dns: CellDns;
  port: number;
}

export async function startDns(
  t: { after(fn: () => Promise<void>): void },
  options: Partial<CellDnsOptions> = {},
): Promise<Started> {
  const parent = await mkdtemp(join(tmpdir(), 'weft-dns-test-'));
  const port = await freePort();
  const dns = new CellDns({
    dir: join(parent, 'dns'),
    listen: ['127.0.0.1'],
    port,
    clients: ['127.0.0.1/32', '127.0.0.2/32', '127.0.0.3/32'],
    upstream: [],
    logger: pino({ level: 'silent' }),
    ...options,
  });
  t.after(async () => {
    await dns.stop();
    await rm(parent, { recursive: true, force: true });
  });
  await dns.start();
  return { dns, port };
}
