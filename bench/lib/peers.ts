// Peer servers run from private configs in a temp dir: nginx (HTTP backend, or `stream { ssl }` TLS
// terminator), HAProxy (`mode tcp` with ssl) and dnsmasq. One worker/thread each: the figures are per core.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Scope } from './cleanup.js';
import { daemon, sleep, stderrTail } from './proc.js';
import type { Credentials } from '../../src/proxy/index.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function untilListening(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`nothing listens on ${port}: ${stderrTail(child)}`);
    await sleep(50);
  }
}

function nginx(scope: Scope, dir: string, name: string, body: string): ChildProcess {
  const prefix = path.join(dir, name);
  mkdirSync(path.join(prefix, 'tmp'), { recursive: true });
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
${body}`,
  );
  return daemon(scope, 'nginx', ['-e', `${prefix}/error.log`, '-p', prefix, '-c', conf]);
}

/** A small HTTP server answering every request with a short body, keep-alive without limit. */
export async function httpBackend(scope: Scope, dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = nginx(
    scope,
    dir,
    'backend',
    `events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/backend/tmp;
  proxy_temp_path ${dir}/backend/tmp;
  keepalive_requests 10000000;
  server { listen 127.0.0.1:${port} reuseport; location / { return 200 "hello from the backend\\n"; } }
}`,
  );
  await untilListening(port, child);
  return { port, child };
}

function writeCredentials(dir: string, creds: Credentials): { cert: string; key: string; both: string } {
  const cert = path.join(dir, 'proxy.crt');
  const key = path.join(dir, 'proxy.key');
  const both = path.join(dir, 'proxy.pem');
  writeFileSync(cert, creds.certPem);
  writeFileSync(key, creds.keyPem, { mode: 0o600 });
  writeFileSync(both, `${creds.certPem.trim()}\n${creds.keyPem.trim()}\n`, { mode: 0o600 });
  return { cert, key, both };
}

type CredentialFiles = ReturnType<typeof writeCredentials>;
type TlsPeer = { port: number; child: ChildProcess };

/** A TLS-terminating peer on a free port with the benchmark's certificate, started by `start`. */
async function tlsPeer(
  dir: string,
  creds: Credentials,
  start: (port: number, files: CredentialFiles) => ChildProcess,
): Promise<TlsPeer> {
  const port = await freePort();
  const child = start(port, writeCredentials(dir, creds));
  await untilListening(port, child);
  return { port, child };
}

export function nginxStreamTls(
  scope: Scope,
  dir: string,
  creds: Credentials,
  backendPort: number,
): Promise<TlsPeer> {
  return tlsPeer(dir, creds, (port, files) =>
    nginx(
      scope,
      dir,
      'stream',
      `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
events { worker_connections 4096; }
stream {
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${files.cert};
    ssl_certificate_key ${files.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    proxy_pass 127.0.0.1:${backendPort};
  }
}`,
    ),
  );
}

const NODE_FLOOR = fileURLToPath(new URL('../child/node-tls-floor.ts', import.meta.url));

/** A bare Node TLS proxy (bench/child/node-tls-floor.ts): what Node's TLS stack costs without weft's code. */
export function nodeTlsFloor(
  scope: Scope,
  dir: string,
  creds: Credentials,
  backendPort: number,
): Promise<TlsPeer> {
  return tlsPeer(dir, creds, (port, files) =>
    daemon(scope, process.execPath, [
      '--import',
      'tsx',
      NODE_FLOOR,
      files.cert,
      files.key,
      String(port),
      String(backendPort),
    ]),
  );
}

export function haproxyTls(
  scope: Scope,
  dir: string,
  creds: Credentials,
  backendPort: number,
): Promise<TlsPeer> {
  return tlsPeer(dir, creds, (port, files) => {
    const conf = path.join(dir, 'haproxy.cfg');
    writeFileSync(
      conf,
      `global
  nbthread 1
  maxconn 4096
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend tls
  bind 127.0.0.1:${port} ssl crt ${files.both}
  default_backend app
backend app
  server app 127.0.0.1:${backendPort}
`,
    );
    return daemon(scope, 'haproxy', ['-db', '-f', conf]);
  });
}

/** dnsmasq answering the names in `hosts` authoritatively for `domain`, never forwarding. */
export async function dnsmasq(
  scope: Scope,
  dir: string,
  domain: string,
  hosts: string,
): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const file = path.join(dir, 'hosts');
  writeFileSync(file, hosts);
  // dnsmasq drops to nobody before reading hosts files again; let it.
  chmodSync(dir, 0o755);
  const child = daemon(scope, 'dnsmasq', [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${file}`,
    `--local=/${domain}/`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--port=${port}`,
    '--cache-size=10000',
    `--pid-file=${path.join(dir, 'dnsmasq.pid')}`,
  ]);
  await untilListening(port, child);
  return { port, child };
}
