// weft's DnsServer alone in its own process on 127.0.0.1, serving apps.internal with app-a and app-b (two
// instances). Prints `ready PORT`. Forwarding goes to a port nothing answers on: the benchmark never forwards.
import { DnsServer } from '../../src/dns/server.js';

// dnsperf is one source asking as fast as it can: the per-source rate limit is off to measure the server.
const server = new DnsServer({
  host: '127.0.0.1',
  port: 0,
  upstream: [{ host: '127.0.0.1', port: 9 }],
  rateLimit: null,
});
await server.start();
server.setZone({
  revision: 1,
  domains: new Set(['apps.internal']),
  records: new Map([
    ['app-a.apps.internal', ['10.79.0.2']],
    ['0.app-a.apps.internal', ['10.79.0.2']],
    ['app-b.apps.internal', ['10.79.0.3', '10.79.0.4']],
    ['0.app-b.apps.internal', ['10.79.0.3']],
    ['1.app-b.apps.internal', ['10.79.0.4']],
  ]),
});
process.stdout.write(`ready ${server.port}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
