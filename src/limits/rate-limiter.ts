// A token bucket per source address, in a table of bounded size. On a cell a source is a container: its
// overlay IP, which anti-spoofing pins, so the table only overflows from the host itself.

export interface RateLimit {
  /** Sustained rate a source may keep up, per second. */
  perSecond: number;
  /** What a source that was quiet may send at once. */
  burst: number;
  /** Sources remembered; past it the least recently seen is forgotten. */
  maxSources: number;
}

/**
 * The bucket is kept as GCRA keeps it (as redis-cell and nginx's limit_req do): one number per source,
 * the time its next query would be due at the sustained rate. A query is allowed while that time runs
 * no more than the burst ahead of now. It is the same bucket without fractions of tokens to add up.
 */
export class SourceRateLimiter {
  private readonly intervalMs: number;
  private readonly aheadMs: number;
  // A Map iterates in insertion order, and a source is re-inserted on every use: the first key is
  // always the least recently seen, so eviction is O(1).
  private readonly due = new Map<string, number>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.perSecond > 0 && limit.burst >= 1 && limit.maxSources >= 1))
      throw new RangeError(`rate limit out of range: ${JSON.stringify(limit)}`);
    this.intervalMs = 1000 / limit.perSecond;
    this.aheadMs = limit.burst * this.intervalMs;
  }

  get sources(): number {
    return this.due.size;
  }

  /** Whether `source` may have one more query now; counts it if so. */
  allow(source: string): boolean {
    const now = this.now();
    const known = this.due.get(source);
    if (known === undefined) {
      // A forgotten source comes back with a full bucket: eviction can only ever be lenient.
      if (this.due.size >= this.limit.maxSources) this.evictLeastRecent();
    } else {
      this.due.delete(source);
    }
    const due = Math.max(known ?? now, now);
    const allowed = due + this.intervalMs - now <= this.aheadMs;
    this.due.set(source, allowed ? due + this.intervalMs : due);
    return allowed;
  }

  private evictLeastRecent(): void {
    for (const source of this.due.keys()) {
      this.due.delete(source);
      return;
    }
  }
}
