// Writes stream lines to one follower without buffering for it without bound: a follower that lets
// too much pile up unsent, or reads nothing for too long, is dropped. It reconnects and resumes
// from its revision, so dropping costs it nothing but the reconnect.
import type { ServerResponse } from 'node:http';

/** Bytes written but not yet taken by the follower's connection. */
export const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
/** Once its connection is full, a follower must take everything within this time. */
export const DRAIN_TIMEOUT_MS = 15_000;

export class Outbox {
  private stalled: NodeJS.Timeout | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly dropped: (why: string) => void,
  ) {
    const settle = () => this.settle();
    res.on('drain', settle);
    res.on('close', settle);
  }

  get open(): boolean {
    return !this.res.destroyed;
  }

  write(line: string): void {
    if (!this.open) return;
    const flowing = this.res.write(line);
    if (this.res.writableLength > MAX_UNSENT_BYTES) {
      this.drop(`more than ${MAX_UNSENT_BYTES} bytes unsent`);
    } else if (!flowing && this.stalled === null) {
      this.stalled = setTimeout(
        () => this.drop(`not drained within ${DRAIN_TIMEOUT_MS} ms`),
        DRAIN_TIMEOUT_MS,
      );
    }
  }

  /** Resolves once the follower took what was written, or the connection is gone. */
  drained(): Promise<void> {
    if (!this.open || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Ends the connection at once: nothing still unsent goes out. */
  close(): void {
    this.res.destroy();
  }

  private drop(why: string): void {
    if (!this.open) return;
    this.dropped(why);
    this.close();
  }

  private settle(): void {
    if (this.stalled !== null) clearTimeout(this.stalled);
    this.stalled = null;
  }
}
