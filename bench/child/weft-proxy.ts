// weft's TlsProxy alone in its own process, as a cell runs it: one HAProxy with a fixed set of listeners on
// loopback (a /24 cell's 256, or more if asked), instances taking them as they come. Reads its instances
// from the JSON file named on the command line; prints `ready PORT,PORT,... HAPROXY_PID`.
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { TlsProxy } from '../../src/proxy/index.js';
import type { Credentials } from '../../src/proxy/index.js';

interface Config {
  backendPort: number;
  instances: { guid: string; credentials: Credentials }[];
}

const CELL_SLOTS = 256;

/** Ports the kernel hands out as free now, for HAProxy to bind. */
async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    held.push(server);
  }
  const ports = held.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Config;
const slots = await freePorts(Math.max(CELL_SLOTS, config.instances.length));
const proxy = new TlsProxy({ listeners: slots.map((port) => ({ host: '127.0.0.1', ports: [port] })) });
const ports: number[] = [];
for (const { guid, credentials } of config.instances) {
  const bound = await proxy.addInstance({
    guid,
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: config.backendPort },
    credentials,
  });
  ports.push(bound.port);
}
// Measured RSS should be live memory, not garbage from reading the config (run with --expose-gc).
(globalThis as { gc?: () => void }).gc?.();
process.stdout.write(`ready ${ports.join(',')} ${proxy.enginePid ?? 0}\n`);
process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
