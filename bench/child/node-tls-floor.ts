// The floor of any TLS proxy written on Node: tls.createServer, net.connect and pipe both ways, nothing of
// weft's. Measured beside weft's TlsProxy, it shows what Node's TLS stack costs by itself.
// Usage: node-tls-floor.ts CERT KEY PORT BACKEND_PORT
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer } from 'node:tls';

const [certFile, keyFile, port, backendPort] = process.argv.slice(2);
const server = createServer(
  { cert: readFileSync(certFile ?? ''), key: readFileSync(keyFile ?? ''), minVersion: 'TLSv1.2' },
  (client) => {
    const backend = connect(Number(backendPort), '127.0.0.1');
    client.pipe(backend).pipe(client);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
  },
);
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
