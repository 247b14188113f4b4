// weft's DNS (the cell's unbound, fed by CellDns) on 127.0.0.1, serving apps.internal with app-a and app-b
// (two instances). First measures zone updates: each swaps app-b's second address and asks app-b right
// after; prints `updates START_MS P50_MS P99_MS SEEN TOTAL` (START_MS: from spawning unbound to its first
// answer on the control socket). Then prints `ready PORT UNBOUND_PID`. Forwarding goes
// to a port nothing answers on: the benchmark never forwards.
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { CellDns } from '../../src/dns/unbound/cell-dns.js';
import { DEFAULT_DNS_LIMITS } from '../../src/dns/unbound/config.js';
import type { Zone } from '../../src/dns/zone.js';
import { percentile } from '../lib/stats.js';

const UPDATES = 200;

function zone(second: string): Zone {
  return {
    revision: 1,
    domains: new Set(['apps.internal']),
    records: new Map([
      ['app-a.apps.internal', ['10.79.0.2']],
      ['0.app-a.apps.internal', ['10.79.0.2']],
      ['app-b.apps.internal', ['10.79.0.3', second]],
      ['0.app-b.apps.internal', ['10.79.0.3']],
      ['1.app-b.apps.internal', [second]],
    ]),
  };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function addressesOf(socket: dgram.Socket, port: number, name: string): Promise<string[]> {
  const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
  socket.send(
    dnsPacket.encode({ id: 1, type: 'query', questions: [{ name, type: 'A' }] }),
    port,
    '127.0.0.1',
  );
  const answers = dnsPacket.decode(await reply).answers ?? [];
  return answers.flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();
}

const port = await freePort();
// dnsperf is one source asking as fast as it can: the per-source rate limit is off to measure the server.
const parent = mkdtempSync(path.join(tmpdir(), 'weft-bench-unbound-'));
const dns = new CellDns({
  dir: path.join(parent, 'dns'),
  listen: ['127.0.0.1'],
  port,
  clients: ['127.0.0.0/8'],
  upstream: [{ host: '127.0.0.1', port: 9 }],
  limits: { ...DEFAULT_DNS_LIMITS, queriesPerSecond: 0 },
  logger: pino({ level: 'silent' }),
});
const starting = process.hrtime.bigint();
await dns.start();
const startMs = Number(process.hrtime.bigint() - starting) / 1e6;
await dns.setZone(zone('10.79.0.4'));

const socket = dgram.createSocket('udp4');
const durations: number[] = [];
let seen = 0;
for (let i = 0; i < UPDATES; i++) {
  const second = `10.79.1.${(i % 250) + 1}`;
  const start = process.hrtime.bigint();
  await dns.setZone(zone(second));
  durations.push(Number(process.hrtime.bigint() - start) / 1e6);
  if ((await addressesOf(socket, port, 'app-b.apps.internal')).join() === ['10.79.0.3', second].sort().join())
    seen++;
}
socket.close();
await dns.setZone(zone('10.79.0.4'));
durations.sort((a, b) => a - b);
process.stdout.write(
  `updates ${startMs} ${percentile(durations, 50)} ${percentile(durations, 99)} ${seen} ${UPDATES}\n`,
);
process.stdout.write(`ready ${port} ${dns.pid}\n`);
process.on(
  'SIGTERM',
  () =>
    void dns.stop().then(() => {
      rmSync(parent, { recursive: true, force: true });
      process.exit(0);
    }),
);
