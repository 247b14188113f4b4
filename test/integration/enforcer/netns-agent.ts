// Runs inside a test network namespace: serves TCP/UDP and makes probes on request. One JSON request per stdin
// line, one JSON answer per stdout line, so a whole reachability matrix can run concurrently.
import { createInterface } from 'node:readline';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { createSocket } from 'node:dgram';

type Request = { id: number; op: string } & Record<string, unknown>;

const label = process.argv[2] ?? 'agent';
const udpSeen = new Map<number, { from: string; data: string }[]>();
const udpWaiters: { port: number; data: string; resolve: () => void }[] = [];
const conns = new Map<number, Socket>();

function serveTcp(port: number): Promise<void> {
  const server = createServer((socket) => {
    socket.on('data', (chunk) => socket.write(`${label}:${chunk.toString()}`));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
}

function serveUdp(port: number): Promise<void> {
  const socket = createSocket('udp4');
  udpSeen.set(port, []);
  socket.on('message', (msg, rinfo) => {
    const data = msg.toString();
    udpSeen.get(port)?.push({ from: rinfo.address, data });
    for (const w of udpWaiters.filter((w) => w.port === port && w.data === data)) w.resolve();
    socket.send(`${label}:${data}`, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '0.0.0.0', () => resolve());
  });
}

/** Connects and exchanges one message; resolves the socket, or null when refused, dropped or reset. */
function exchange(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ socket: Socket; reply: string } | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const give = (value: { socket: Socket; reply: string } | null): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if (value === null) socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => give(null), timeoutMs);
    socket.once('connect', () => socket.write('ping'));
    socket.once('data', (chunk) => give({ socket, reply: chunk.toString() }));
    socket.once('error', () => give(null));
    socket.once('close', () => give(null));
  });
}

function probeUdp(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (reply: string | null): void => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('message', (msg) => done(msg.toString()));
    socket.on('error', () => done(null));
    socket.send('ping', port, host);
  });
}

function sendUdp(host: string, port: number, localAddress: string, data: string): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.bind(0, localAddress, () => {
      socket.send(data, port, host, (err) => {
        socket.close();
        if (err) reject(err);
        else resolve();
      });
    });
  });
}

/** Writes on an open connection and waits for the next event: a reply, or the connection's end. */
function converse(socket: Socket, data: string): Promise<{ reply?: string; closed?: string }> {
  return new Promise((resolve) => {
    const finish = (result: { reply?: string; closed?: string }): void => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      resolve(result);
    };
    socket.once('data', (chunk) => finish({ reply: chunk.toString() }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ closed: err.code ?? err.message }));
    socket.once('close', () => finish({ closed: 'close' }));
    socket.write(data);
  });
}

let nextConn = 1;

async function handle(req: Request): Promise<unknown> {
  const host = String(req.host);
  const port = Number(req.port);
  const timeoutMs = Number(req.timeoutMs ?? 1500);
  switch (req.op) {
    case 'serveTcp':
      return serveTcp(port);
    case 'serveUdp':
      return serveUdp(port);
    case 'probeTcp': {
      const got = await exchange(host, port, timeoutMs);
      got?.socket.destroy();
      return got?.reply ?? null;
    }
    case 'probeUdp':
      return probeUdp(host, port, timeoutMs);
    case 'sendUdp':
      return sendUdp(host, port, String(req.localAddress), String(req.data));
    case 'awaitUdp':
      if (udpSeen.get(port)?.some((m) => m.data === req.data)) return null;
      return new Promise<void>((resolve) => udpWaiters.push({ port, data: String(req.data), resolve }));
    case 'udpSeen':
      return udpSeen.get(port) ?? [];
    case 'open': {
      const got = await exchange(host, port, timeoutMs);
      if (got === null) return null;
      const id = nextConn++;
      conns.set(id, got.socket);
      return id;
    }
    case 'converse': {
      const socket = conns.get(Number(req.conn));
      if (!socket) throw new Error(`no connection ${String(req.conn)}`);
      return converse(socket, String(req.data));
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line) as Request;
  handle(req).then(
    (result) => process.stdout.write(JSON.stringify({ id: req.id, result: result ?? null }) + '\n'),
    (err: Error) => process.stdout.write(JSON.stringify({ id: req.id, error: err.message }) + '\n'),
  );
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
