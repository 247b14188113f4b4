// How long a supervisor waits before starting a child that exited on its own again: at once after a crash
// that ends a long run (a SIGKILL must be mended within a second or two), doubling while the child keeps
// dying soon after each start, so a child that cannot stay up does not take a core with it.
export interface CrashBackoffOptions {
  /** The second crash in a row waits this long; each further one twice the one before. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A child that ran at least this long before it died counts as healthy: the next start is immediate. */
  healthyAfterMs: number;
}

export const DEFAULT_CRASH_BACKOFF: CrashBackoffOptions = {
  firstDelayMs: 250,
  maxDelayMs: 30_000,
  healthyAfterMs: 30_000,
};

export class CrashBackoff {
  private crashesInARow = 0;

  constructor(private readonly opts: CrashBackoffOptions = DEFAULT_CRASH_BACKOFF) {}

  /** The wait before the next start, given how long the child that just died had been running. */
  delayAfterCrash(ranForMs: number): number {
    if (ranForMs >= this.opts.healthyAfterMs) this.crashesInARow = 0;
    this.crashesInARow++;
    if (this.crashesInARow === 1) return 0;
    return Math.min(this.opts.maxDelayMs, this.opts.firstDelayMs * 2 ** (this.crashesInARow - 2));
  }
}
