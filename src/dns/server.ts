import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { serverFailure } from './answer.js';
import { Forwarder, type Upstream } from './forwarder.js';
import { FrameReader, MAX_MESSAGE_BYTES, frame } from './framing.js';
import { Responder } from './responder.js';
import type { Zone } from './zone.js';

/** The part of a pino logger the server uses. */
export interface DnsLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface DnsServerOptions {
  host: string;
  /** 0 picks a free port, the same for UDP and TCP; read it from `port` after `start()`. */
  port: number;
  upstream: Upstream[];
  ttl?: number;
  logger?: DnsLogger;
  upstreamTimeoutMs?: number;
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
}

export interface DnsStats {
  udpQueries: number;
  tcpQueries: number;
  /** Answered from the zone, including NXDOMAIN and errors we produced. */
  answered: number;
  cacheHits: number;
  forwarded: number;
  /** Forwarded queries no upstream answered in time: the client got SERVFAIL. */
  upstreamFailures: number;
  /** Malformed packets, and TCP connections refused over the cap. */
  dropped: number;
}

const silentLogger: DnsLogger = { warn: () => undefined, debug: () => undefined };

/** The cell's DNS server: answers internal domains from the zone, forwards the rest to the host's resolvers. */
export class DnsServer {
  private readonly responder: Responder;
  private readonly forwarder: Forwarder;
  private readonly logger: DnsLogger;
  private readonly tcpIdleTimeoutMs: number;
  private readonly maxTcpConnections: number;
  private readonly tcpClients = new Set<net.Socket>();
  private readonly udp: dgram.Socket;
  private readonly tcp: net.Server;
  private stopped = false;
  private readonly counters = {
    udpQueries: 0,
    tcpQueries: 0,
    answered: 0,
    forwarded: 0,
    upstreamFailures: 0,
    dropped: 0,
  };

  constructor(private readonly opts: DnsServerOptions) {
    this.responder = new Responder({ ttl: opts.ttl });
    this.forwarder = new Forwarder({ upstream: opts.upstream, attemptTimeoutMs: opts.upstreamTimeoutMs });
    this.logger = opts.logger ?? silentLogger;
    this.tcpIdleTimeoutMs = opts.tcpIdleTimeoutMs ?? 10_000;
    this.maxTcpConnections = opts.maxTcpConnections ?? 256;
    // A large receive buffer absorbs bursts instead of dropping them (the kernel caps it at rmem_max).
    this.udp = dgram.createSocket({
      type: net.isIPv6(opts.host) ? 'udp6' : 'udp4',
      recvBufferSize: 4 << 20,
      // Replies go to the address a query came from, always a literal: skip the resolver and its extra tick.
      lookup: (address, _options, callback) => callback(null, address, net.isIPv6(address) ? 6 : 4),
    });
    this.tcp = net.createServer((socket) => this.onTcpConnection(socket));
  }

  get stats(): DnsStats {
    return { ...this.counters, cacheHits: this.responder.cacheHits };
  }

  get port(): number {
    return this.udp.address().port;
  }

  async start(): Promise<void> {
    // TCP first: with port 0 the kernel picks a port free for listening, where client connections
    // crowd the ephemeral range; the same number is then almost always free for UDP.
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(this.opts.port, this.opts.host, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
    const { port } = this.tcp.address() as net.AddressInfo;
    await new Promise<void>((resolve, reject) => {
      this.udp.once('error', reject);
      this.udp.bind(port, this.opts.host, () => {
        this.udp.off('error', reject);
        resolve();
      });
    });
    this.udp.on('error', (error) => this.logger.warn({ err: error }, 'dns udp socket error'));
    this.udp.on('message', (message, from) => this.onUdpMessage(message, from));
    this.tcp.on('error', (error) => this.logger.warn({ err: error }, 'dns tcp server error'));
  }

  /** Takes effect for the very next query: the answer cache belongs to the zone it was built from. */
  setZone(zone: Zone): void {
    this.responder.setZone(zone);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.forwarder.close();
    for (const client of this.tcpClients) client.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private onUdpMessage(message: Buffer, from: dgram.RemoteInfo): void {
    this.counters.udpQueries++;
    const outcome = this.responder.handle(message, 'udp');
    if ('reply' in outcome) {
      this.counters.answered++;
      this.sendUdp(outcome.reply, from);
    } else if ('forward' in outcome) {
      this.counters.forwarded++;
      void this.forwarder.forwardUdp(message).then((response) => {
        const reply = response ?? this.failure(message);
        if (reply !== null) this.sendUdp(reply, from);
      });
    } else {
      this.counters.dropped++;
    }
  }

  private sendUdp(reply: Buffer, to: dgram.RemoteInfo): void {
    // Forwarded answers can arrive after stop(), when sending would throw.
    if (!this.stopped) this.udp.send(reply, to.port, to.address);
  }

  private onTcpConnection(socket: net.Socket): void {
    if (this.tcpClients.size >= this.maxTcpConnections) {
      this.counters.dropped++;
      socket.destroy();
      return;
    }
    this.tcpClients.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.tcpIdleTimeoutMs, () => socket.destroy());
    socket.on('close', () => this.tcpClients.delete(socket));
    // Resets and broken pipes end the connection; there is nothing else to do about them.
    socket.on('error', () => undefined);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) this.onTcpMessage(socket, message);
    });
  }

  private onTcpMessage(socket: net.Socket, message: Buffer): void {
    this.counters.tcpQueries++;
    const outcome = this.responder.handle(message, 'tcp');
    if ('reply' in outcome) {
      this.counters.answered++;
      writeFramed(socket, outcome.reply);
    } else if ('forward' in outcome) {
      this.counters.forwarded++;
      void this.forwarder.forwardTcp(message).then((response) => {
        const reply = response ?? this.failure(message);
        if (reply !== null) writeFramed(socket, reply);
      });
    } else {
      this.counters.dropped++;
    }
  }

  private failure(query: Buffer): Buffer | null {
    this.counters.upstreamFailures++;
    this.logger.debug({ upstream: this.opts.upstream }, 'no upstream resolver answered');
    try {
      return dnsPacket.encode(serverFailure(dnsPacket.decode(query)));
    } catch {
      return null;
    }
  }
}

function writeFramed(socket: net.Socket, message: Buffer): void {
  if (socket.destroyed || message.length > MAX_MESSAGE_BYTES) return;
  socket.write(frame(message));
}
