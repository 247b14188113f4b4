import dnsPacket from 'dns-packet';
import { answerQuery, truncated, udpPayloadLimit } from './answer.js';
import { emptyZone, type Zone } from './zone.js';

export type Transport = 'udp' | 'tcp';

/** What to do with one incoming packet. */
export type Outcome = { reply: Buffer } | { forward: true } | { drop: true };

interface Encoded {
  udp: Buffer;
  tcp: Buffer;
}
type CacheEntry = Encoded | 'forward';

export interface ResponderOptions {
  ttl?: number;
  /** Bounds the answer cache, whose keys come from the network. */
  maxCacheEntries?: number;
}

const FORWARD: Outcome = { forward: true };
const DROP: Outcome = { drop: true };
/** Queries longer than this are answered but not cached: real queries are far smaller. */
const MAX_CACHED_QUERY_BYTES = 512;

/**
 * The server's packet handler, without sockets. An answer depends only on the query's bytes after its
 * id and on the zone, so encoded answers are cached by those bytes until the zone changes; a repeated
 * query costs one map lookup and one id patch, no decoding or encoding.
 *
 * Malformed packets (undecodable, or responses rather than queries) are dropped without a reply:
 * answering them would let spoofed garbage bounce traffic off us.
 */
export class Responder {
  private zone: Zone = emptyZone;
  private cache = new Map<string, CacheEntry>();
  private readonly ttl: number | undefined;
  private readonly maxCacheEntries: number;
  cacheHits = 0;

  constructor(opts: ResponderOptions = {}) {
    this.ttl = opts.ttl;
    this.maxCacheEntries = opts.maxCacheEntries ?? 10_000;
  }

  setZone(zone: Zone): void {
    this.zone = zone;
    this.cache = new Map();
  }

  handle(query: Buffer, transport: Transport): Outcome {
    if (query.length < 12) return DROP;
    const key = query.length <= MAX_CACHED_QUERY_BYTES ? query.toString('latin1', 2) : undefined;
    let entry = key === undefined ? undefined : this.cache.get(key);
    if (entry === undefined) {
      const computed = this.compute(query);
      if (computed === undefined) return DROP;
      entry = computed;
      if (key !== undefined) this.remember(key, entry);
    } else {
      this.cacheHits++;
    }
    if (entry === 'forward') return FORWARD;
    const encoded = transport === 'udp' ? entry.udp : entry.tcp;
    const reply = Buffer.allocUnsafe(encoded.length);
    encoded.copy(reply);
    reply.writeUInt16BE(query.readUInt16BE(0), 0);
    return { reply };
  }

  private compute(query: Buffer): CacheEntry | undefined {
    try {
      const decoded = dnsPacket.decode(query);
      if (decoded.flag_qr) return undefined;
      const result = answerQuery(decoded, this.zone, { ttl: this.ttl });
      if ('forward' in result) return 'forward';
      const tcp = dnsPacket.encode(result.response);
      const udp = tcp.length <= udpPayloadLimit(decoded) ? tcp : dnsPacket.encode(truncated(result.response));
      return { udp, tcp };
    } catch {
      return undefined;
    }
  }

  private remember(key: string, entry: CacheEntry): void {
    // Wholesale reset keeps the bound without LRU bookkeeping on the hot path; the zone's working set refills it.
    if (this.cache.size >= this.maxCacheEntries) this.cache.clear();
    this.cache.set(key, entry);
  }
}
