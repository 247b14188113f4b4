// weft's TlsProxy alone in its own process, as a cell runs it: one TLS listener per instance on loopback.
// Reads its instances from the JSON file named on the command line; prints `ready PORT,PORT,...`.
import { readFileSync } from 'node:fs';
import { TlsProxy } from '../../src/proxy/index.js';
import type { Credentials } from '../../src/proxy/index.js';

interface Config {
  backendPort: number;
  instances: { guid: string; credentials: Credentials }[];
}

const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Config;
const proxy = new TlsProxy();
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
process.stdout.write(`ready ${ports.join(',')}\n`);
process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
