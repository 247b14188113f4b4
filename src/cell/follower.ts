// Follows the control plane's change stream; resumes from its revision on the next server when the
// stream breaks or falls silent, and backs off only once every server failed in a row.
import type { Logger } from 'pino';
import { fetchFailure, type PinnedFetch } from '../ca/pinned-fetch.js';
import { parseStreamLine } from '../contract/stream.js';
import type { ApiEndpoints } from '../endpoints/failover.js';
import { LineSplitter, SnapshotAssembler, type FollowedMessage } from './stream-reader.js';
import { SilenceWatch } from './silence-watch.js';

export interface FollowerHandlers {
  onMessage(m: FollowedMessage): void;
  onConnected(connected: boolean): void;
  /** The revision to resume from; 0 asks for a snapshot. */
  revision(): number;
}

const MAX_BACKOFF_MS = 5_000;
// Heartbeats arrive twice a second; a stream silent for three of them is dead, and the next server
// takes over well within 2 s.
const SILENCE_MS = 1_500;

export class Follower {
  private stopped = false;
  private abort: AbortController | null = null;

  constructor(
    private readonly api: ApiEndpoints,
    private readonly fetch: PinnedFetch,
    private readonly token: string,
    /** Names the cell the stream serves, so questions for it come this way (an admin token names none). */
    private readonly cellId: string,
    private readonly handlers: FollowerHandlers,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    let backoff = 100;
    let failedInARow = 0;
    while (!this.stopped) {
      const url = this.api.current;
      try {
        // A stream that ends before it said anything counts as a failure, or a loop would hammer.
        if (await this.once(url)) {
          failedInARow = 0;
          backoff = 100;
        } else failedInARow += 1;
      } catch (err) {
        if (this.stopped) break;
        failedInARow += 1;
        this.logger.warn({ err: String(err), url }, 'change stream lost; keeping the last known state');
      }
      this.handlers.onConnected(false);
      if (this.stopped) break;
      this.api.leave(url);
      if (failedInARow < this.api.urls.length) continue;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  /** Follows one server's stream until it ends; whether it carried any message. */
  private async once(url: string): Promise<boolean> {
    const abort = new AbortController();
    this.abort = abort;
    // Watched from the first byte on: a server that accepts but never answers is silent too.
    const silence = new SilenceWatch(SILENCE_MS, () =>
      abort.abort(new Error('the change stream fell silent')),
    );
    try {
      return await this.follow(url, abort.signal, silence);
    } finally {
      silence.stop();
    }
  }

  private async follow(url: string, signal: AbortSignal, silence: SilenceWatch): Promise<boolean> {
    const since = this.handlers.revision();
    const res = await this.fetch(`${url}/v1/watch?since=${since}&cell=${encodeURIComponent(this.cellId)}`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal,
    }).catch((err: unknown) => {
      throw fetchFailure(err, url);
    });
    if (!res.ok || !res.body) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
    this.handlers.onConnected(true);
    const decoder = new TextDecoder();
    // Both start afresh on each connection: pieces of a snapshot the last one cut off are dropped.
    const lines = new LineSplitter();
    const snapshot = new SnapshotAssembler();
    let heardAnything = false;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      silence.heard();
      for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
        const m = snapshot.accept(parseStreamLine(line));
        heardAnything = true;
        if (m) this.handlers.onMessage(m);
      }
    }
    return heardAnything;
  }
}
