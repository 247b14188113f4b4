// The cell's heartbeat to the control plane (Diego's cell presence): without it for --cell-lost-after,
// the control plane declares the cell lost and moves its instances. A cell told it is unknown (declared
// lost, or its lease released) registers again.
import type { Logger } from 'pino';

export interface PresenceDeps {
  /** Sends one heartbeat; 'unknown' when the control plane no longer counts this cell as alive. */
  beat(): Promise<'known' | 'unknown'>;
  /** Registers again; the next heartbeat waits for it. */
  rejoin(): Promise<void>;
}

export class Presence {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private unreachable = false;

  constructor(
    private readonly deps: PresenceDeps,
    private readonly everyMs: number,
    private readonly logger: Logger,
  ) {}

  /** The first heartbeat goes at once; the next ones every interval, each after the last finished. */
  start(): void {
    this.stopped = false;
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      if ((await this.deps.beat()) === 'unknown') {
        this.logger.warn('the control plane declared this cell lost: registering again');
        await this.deps.rejoin();
      }
      if (this.unreachable) this.logger.info('heartbeats reach the control plane again');
      this.unreachable = false;
    } catch (err) {
      if (!this.unreachable) this.logger.warn({ err: String(err) }, 'heartbeat failed; retrying');
      this.unreachable = true;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }
}
