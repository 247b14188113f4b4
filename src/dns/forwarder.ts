import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { FrameReader, frame } from './framing.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwarderOptions {
  upstream: Upstream[];
  /** How long one upstream gets to answer before the next one is tried. */
  attemptTimeoutMs?: number;
}

interface Pending {
  originalId: number;
  upstream: Upstream;
  resolve: (response: Buffer | null) => void;
  timer: NodeJS.Timeout;
}

/**
 * Relays raw queries to the host's resolvers, trying them in order. Over UDP every query in flight gets
 * its own random id, so concurrent clients that chose the same id cannot receive each other's answers
 * and off-path spoofers must guess; the client's id is restored on the way back.
 */
export class Forwarder {
  private readonly upstream: Upstream[];
  private readonly attemptTimeoutMs: number;
  private readonly sockets = new Map<'udp4' | 'udp6', dgram.Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly tcpConnections = new Set<net.Socket>();

  constructor(opts: ForwarderOptions) {
    this.upstream = opts.upstream;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
  }

  /** The upstream's response with the client's id, or null when no upstream answered in time. */
  async forwardUdp(query: Buffer): Promise<Buffer | null> {
    for (const upstream of this.upstream) {
      const response = await this.attemptUdp(query, upstream);
      if (response !== null) return response;
    }
    return null;
  }

  /** For TCP clients: over TCP upstream too, so large answers arrive whole. */
  async forwardTcp(query: Buffer): Promise<Buffer | null> {
    for (const upstream of this.upstream) {
      const response = await this.attemptTcp(query, upstream);
      if (response !== null) return response;
    }
    return null;
  }

  close(): void {
    for (const [id, pending] of this.pending) this.settle(id, pending, null);
    for (const socket of this.sockets.values()) socket.close();
    this.sockets.clear();
    for (const connection of this.tcpConnections) connection.destroy();
  }

  private attemptUdp(query: Buffer, upstream: Upstream): Promise<Buffer | null> {
    const id = this.freeId();
    if (id === undefined) return Promise.resolve(null);
    const relayed = Buffer.from(query);
    relayed.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, pending, null), this.attemptTimeoutMs);
      const pending: Pending = { originalId: query.readUInt16BE(0), upstream, resolve, timer };
      this.pending.set(id, pending);
      const failed = (): void => this.settle(id, pending, null);
      try {
        this.socketFor(upstream.host).send(
          relayed,
          upstream.port,
          upstream.host,
          (error) => error && failed(),
        );
      } catch {
        // A misconfigured upstream (say, port 0) throws here; it counts as an upstream that did not answer.
        failed();
      }
    });
  }

  private onUpstreamMessage(message: Buffer, from: dgram.RemoteInfo): void {
    if (message.length < 12) return;
    const id = message.readUInt16BE(0);
    const pending = this.pending.get(id);
    // Only the resolver we asked may answer: anything else is late, stray or spoofed.
    if (pending === undefined || !sameUpstream(pending.upstream, from)) return;
    message.writeUInt16BE(pending.originalId, 0);
    this.settle(id, pending, message);
  }

  private settle(id: number, pending: Pending, response: Buffer | null): void {
    if (this.pending.get(id) !== pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(response);
  }

  private freeId(): number | undefined {
    if (this.pending.size >= 0x10000) return undefined;
    for (;;) {
      const id = randomInt(0x10000);
      if (!this.pending.has(id)) return id;
    }
  }

  private socketFor(host: string): dgram.Socket {
    const type = net.isIPv6(host) ? 'udp6' : 'udp4';
    let socket = this.sockets.get(type);
    if (socket === undefined) {
      socket = dgram.createSocket(type);
      socket.on('message', (message, from) => this.onUpstreamMessage(message, from));
      // A send error surfaces on the socket too; the attempt's timeout already covers it.
      socket.on('error', () => undefined);
      this.sockets.set(type, socket);
    }
    return socket;
  }

  private attemptTcp(query: Buffer, upstream: Upstream): Promise<Buffer | null> {
    return new Promise((resolve) => {
      let connection: net.Socket;
      try {
        connection = net.connect({ host: upstream.host, port: upstream.port });
      } catch {
        resolve(null);
        return;
      }
      this.tcpConnections.add(connection);
      const reader = new FrameReader();
      let result: Buffer | null = null;
      const finish = (): void => {
        connection.destroy();
        this.tcpConnections.delete(connection);
        resolve(result);
      };
      connection.setTimeout(this.attemptTimeoutMs, finish);
      connection.on('error', finish);
      connection.on('close', finish);
      connection.on('connect', () => connection.write(frame(query)));
      connection.on('data', (chunk: Buffer) => {
        const response = reader.push(chunk)[0];
        if (response === undefined) return;
        result = response;
        finish();
      });
    });
  }
}

function sameUpstream(upstream: Upstream, from: dgram.RemoteInfo): boolean {
  return from.port === upstream.port && from.address === upstream.host;
}
