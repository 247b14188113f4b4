import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { SourceRateLimiter, type RateLimit } from '../limits/rate-limiter.js';
import { SourceConnections } from '../limits/source-connections.js';
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
  maxTcpConnectionsPerSource?: number;
  /** Queries each source address may send, over UDP and TCP together; null turns the limit off. */
  rateLimit?: RateLimit | null;
}

/**
 * A container's resolver asks a handful of names per connection it opens; 200 a second with bursts of
 * 400 is far above that. 200 for each of the 253 containers a cell's /24 holds is about half of what one
 * server answers (docs/benchmarks.md), so all of them flooding at once still leave it room.
 */
export const DEFAULT_DNS_RATE_LIMIT: RateLimit = { perSecond: 200, burst: 400, maxSources: 4096 };

export interface DnsStats {
  udpQueries: number;
  tcpQueries: number;
  /** Answered from the zone, including NXDOMAIN and errors we produced. */
  answered: number;
  cacheHits: number;
  forwarded: number;
  /** Forwarded queries no upstream answered in time: the client got SERVFAIL. */
  upstreamFailures: number;
  /** Undecodable packets, and responses sent as if they were queries. */
  malformed: number;
  /** Dropped unanswered: their source was over its rate. */
  rateLimited: number;
  /** TCP connections refused: their source already held its limit. */
  tcpRefusedPerSource: number;
  /** TCP connections refused: the server already held its limit. */
  tcpRefusedGlobal: number;
  /** TCP connections closed after the idle timeout. */
  tcpIdleTimeouts: number;
}

const silentLogger: DnsLogger = { warn: () => undefined, debug: () => undefined };

/** The cell's DNS server: answers internal domains from the zone, forwards the rest to the host's resolvers. */
export class DnsServer {
  private readonly responder: Responder;
  private readonly forwarder: Forwarder;
  private readonly logger: DnsLogger;
  private readonly tcpIdleTimeoutMs: number;
  private readonly tcpConnections: SourceConnections;
  private readonly rateLimiter: SourceRateLimiter | null;
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
    malformed: 0,
    rateLimited: 0,
    tcpRefusedPerSource: 0,
    tcpRefusedGlobal: 0,
    tcpIdleTimeouts: 0,
  };

  constructor(private readonly opts: DnsServerOptions) {
    this.responder = new Responder({ ttl: opts.ttl });
    this.forwarder = new Forwarder({ upstream: opts.upstream, attemptTimeoutMs: opts.upstreamTimeoutMs });
    this.logger = opts.logger ?? silentLogger;
    this.tcpIdleTimeoutMs = opts.tcpIdleTimeoutMs ?? 10_000;
    this.tcpConnections = new SourceConnections({
      perSource: opts.maxTcpConnectionsPerSource ?? 16,
      total: opts.maxTcpConnections ?? 256,
    });
    const rateLimit = opts.rateLimit === undefined ? DEFAULT_DNS_RATE_LIMIT : opts.rateLimit;
    this.rateLimiter = rateLimit === null ? null : new SourceRateLimiter(rateLimit);
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

  /**
   * Over its rate a source's queries are dropped unanswered, before they are parsed, as unbound's
   * ip-ratelimit does (with ip-ratelimit-factor 0): an answer, even REFUSED, would cost the work the
   * limit saves, and a resolver that gets none retries later.
   */
  private overRate(source: string): boolean {
    if (this.rateLimiter === null || this.rateLimiter.allow(source)) return false;
    this.counters.rateLimited++;
    return true;
  }

  private onUdpMessage(message: Buffer, from: dgram.RemoteInfo): void {
    this.counters.udpQueries++;
    if (this.overRate(from.address)) return;
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
      this.counters.malformed++;
    }
  }

  private sendUdp(reply: Buffer, to: dgram.RemoteInfo): void {
    // Forwarded answers can arrive after stop(), when sending would throw.
    if (!this.stopped) this.udp.send(reply, to.port, to.address);
  }

  private onTcpConnection(socket: net.Socket): void {
    const admission = this.tcpConnections.admitSocket(socket);
    if (admission === 'per_source_limit') this.counters.tcpRefusedPerSource++;
    if (admission === 'global_limit') this.counters.tcpRefusedGlobal++;
    if (admission !== 'admitted') return;
    const source = socket.remoteAddress ?? '';
    this.tcpClients.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.tcpIdleTimeoutMs, () => {
      this.counters.tcpIdleTimeouts++;
      socket.destroy();
    });
    socket.on('close', () => this.tcpClients.delete(socket));
    // Resets and broken pipes end the connection; there is nothing else to do about them.
    socket.on('error', () => undefined);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) this.onTcpMessage(socket, source, message);
    });
  }

  private onTcpMessage(socket: net.Socket, source: string, message: Buffer): void {
    this.counters.tcpQueries++;
    if (this.overRate(source)) return;
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
      this.counters.malformed++;
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
