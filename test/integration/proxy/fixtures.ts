import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { join } from 'node:path';
import { createCa, generateKeyAndCsr, loadCa, type Ca } from '../../../src/ca/index.js';
import type { Credentials } from '../../../src/proxy/index.js';
import { TlsProxy, type ListenerGroup, type TlsProxyOptions } from '../../../src/proxy/index.js';

export const APP_B = { appGuid: 'app-b-guid', spaceGuid: 'space-guid', orgGuid: 'org-guid' };

export function newCa(): Ca {
  const { certPem, keyPem } = createCa();
  return loadCa(certPem, keyPem);
}

/** Key and c2c certificate for an instance of app-b serving the given internal route names. */
export function serverCredentials(ca: Ca, dnsNames: string[], instanceGuid = 'instance-b-0'): Credentials {
  const { keyPem, csrPem } = generateKeyAndCsr(instanceGuid);
  const certPem = ca.issueC2c({ ...APP_B, instanceGuid, csrPem, dnsNames });
  return { certPem, keyPem };
}

/** Key and instance identity certificate, as a calling container would hold them. */
export function identityCredentials(ca: Ca, appGuid: string): Credentials {
  const instanceGuid = `instance-of-${appGuid}`;
  const { keyPem, csrPem } = generateKeyAndCsr(instanceGuid);
  const certPem = ca.issueIdentity({ ...APP_B, appGuid, instanceGuid, csrPem, ip: '10.99.0.7' });
  return { certPem, keyPem };
}

/** `count` single-port listeners on loopback, at ports the kernel just handed out as free. */
export async function loopbackListeners(count: number): Promise<ListenerGroup[]> {
  const ports: number[] = [];
  const held = [];
  for (let i = 0; i < count; i++) {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    held.push(server);
    ports.push((server.address() as AddressInfo).port);
  }
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports.map((port) => ({ host: '127.0.0.1', ports: [port] }));
}

export interface Backend {
  port: number;
  /** TCP connections the backend has accepted: proof of whether any traffic reached it. */
  connections(): number;
  close(): Promise<void>;
}

/** A plain HTTP app on loopback that answers every request with its path. */
export async function startBackend(): Promise<Backend> {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`backend says hi to ${req.url}`);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Scratch {
  path: string;
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

export async function scratchDir(): Promise<Scratch> {
  const path = await mkdtemp(join(tmpdir(), 'weft-proxy-test-'));
  return {
    path,
    async write(name, text) {
      const file = join(path, name);
      await writeFile(file, text);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client program to completion; the timeout only keeps a hung client from hanging the suite. */
export function run(command: string, args: string[], input = ''): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

export interface HttpsGetOptions {
  port: number;
  servername: string;
  caPem: string;
  path?: string;
  agent?: Agent;
  client?: Credentials;
  /** The loopback address to connect from, to play a container other than 127.0.0.1. */
  localAddress?: string;
}

export interface HttpsResponse {
  status: number;
  body: string;
  socket: Socket;
}

/** One HTTPS request through the proxy from Node, verifying the server name against caPem. */
export function httpsGet(opts: HttpsGetOptions): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: opts.port,
        servername: opts.servername,
        headers: { host: opts.servername },
        path: opts.path ?? '/',
        ca: opts.caPem,
        agent: opts.agent ?? false,
        localAddress: opts.localAddress,
        cert: opts.client?.certPem,
        key: opts.client?.keyPem,
      },
      (res: IncomingMessage) => {
        // A keep-alive socket goes back to the agent at the end of the response; keep hold of it.
        const socket = res.socket;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface RawExchange {
  reused: boolean;
  /** The latest session ticket the server sent, for resuming on a later connection. */
  session: Buffer | undefined;
  response: string;
}

/** One request on a fresh TLS connection, optionally resuming a session; reports whether it resumed. */
export function requestOnNewConnection(opts: {
  port: number;
  servername: string;
  caPem: string;
  session?: Buffer;
  maxVersion?: SecureVersion;
}): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    let session = opts.session;
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: opts.port,
      servername: opts.servername,
      ca: opts.caPem,
      session,
      ...(opts.maxVersion && { maxVersion: opts.maxVersion }),
    });
    socket.on('session', (ticket: Buffer) => (session = ticket));
    socket.on('secureConnect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${opts.servername}\r\n\r\n`));
    socket.once('data', (chunk: Buffer) => {
      resolve({ reused: socket.isSessionReused(), session, response: chunk.toString() });
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** A proxy serving one instance on 127.0.0.1 with a certificate for `names`, in front of a fresh backend. */
export interface ServedInstance {
  ca: Ca;
  proxy: TlsProxy;
  backend: Backend;
  port: number;
  close(): Promise<void>;
}

export async function serveInstance(
  guid: string,
  names: string[],
  options: TlsProxyOptions = {},
): Promise<ServedInstance> {
  const ca = newCa();
  const backend = await startBackend();
  const proxy = new TlsProxy({ listeners: await loopbackListeners(1), ...options });
  const { port } = await proxy.addInstance({
    guid,
    listen: { host: '127.0.0.1', port: 0 },
    backend: { host: '127.0.0.1', port: backend.port },
    credentials: serverCredentials(ca, names),
  });
  return {
    ca,
    proxy,
    backend,
    port,
    async close() {
      await proxy.close();
      await backend.close();
    },
  };
}
