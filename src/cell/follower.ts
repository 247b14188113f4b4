// Follows the control plane's change stream; reconnects with backoff and resumes from its revision.
import type { Logger } from 'pino';
import { fetchFailure, type PinnedFetch } from '../ca/pinned-fetch.js';
import { parseStreamLine } from '../contract/stream.js';
import { LineSplitter, SnapshotAssembler, type FollowedMessage } from './stream-reader.js';

export interface FollowerHandlers {
  onMessage(m: FollowedMessage): void;
  onConnected(connected: boolean): void;
  /** The revision to resume from; 0 asks for a snapshot. */
  revision(): number;
}

const MAX_BACKOFF_MS = 5_000;
// Heartbeats arrive every 10 s; a silent stream for longer than this is treated as dead.
const SILENCE_MS = 25_000;

export class Follower {
  private stopped = false;
  private abort: AbortController | null = null;

  constructor(
    private readonly api: string,
    private readonly fetch: PinnedFetch,
    private readonly token: string,
    /** Names the cell the stream serves, so questions for it come this way (an admin token names none). */
    private readonly cellId: string,
    private readonly handlers: FollowerHandlers,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        await this.once();
        backoff = 100;
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn({ err: String(err) }, 'change stream lost; keeping the last known state');
      }
      this.handlers.onConnected(false);
      if (this.stopped) break;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async once(): Promise<void> {
    this.abort = new AbortController();
    const since = this.handlers.revision();
    const res = await this.fetch(
      `${this.api}/v1/watch?since=${since}&cell=${encodeURIComponent(this.cellId)}`,
      {
        headers: { authorization: `Bearer ${this.token}` },
        signal: this.abort.signal,
      },
    ).catch((err: unknown) => {
      throw fetchFailure(err, this.api);
    });
    if (!res.ok || !res.body) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
    this.handlers.onConnected(true);
    const decoder = new TextDecoder();
    // Both start afresh on each connection: pieces of a snapshot the last one cut off are dropped.
    const lines = new LineSplitter();
    const snapshot = new SnapshotAssembler();
    let silence = setTimeout(() => this.abort?.abort(), SILENCE_MS);
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        clearTimeout(silence);
        silence = setTimeout(() => this.abort?.abort(), SILENCE_MS);
        for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
          const m = snapshot.accept(parseStreamLine(line));
          if (m) this.handlers.onMessage(m);
        }
      }
    } finally {
      clearTimeout(silence);
    }
  }
}
