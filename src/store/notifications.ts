// With PostgreSQL several servers share the database: each hears the others through LISTEN (their
// commits; session orders for cells whose stream is open here). The listening connection can die
// (PostgreSQL restarted, a network cut, an idle reaper); a server that stopped hearing would silently
// stop passing other servers' changes to its followers. So the listener reconnects, with a growing wait
// while it cannot, and says so once it can again: whatever was committed meanwhile is then read from
// the change log, not lost.
import pg from 'pg';
import type { Logger } from 'pino';

const FIRST_WAIT_MS = 100;
const MAX_WAIT_MS = 5_000;

/** What each channel's notifications are handed to, by channel name (fixed names, never input). */
export type ChannelHandlers = Record<string, (payload: string) => void>;

export class NotificationListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private wait = FIRST_WAIT_MS;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly channels: ChannelHandlers,
    /** Called after every reconnection: notifications sent meanwhile were lost. */
    private readonly reconnected: () => void,
    private readonly logger: Logger,
  ) {}

  /** Connects once; a server that cannot listen at start fails to start. */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      try {
        this.channels[n.channel]?.(n.payload ?? '');
      } catch (err) {
        this.logger.warn({ err: String(err), channel: n.channel }, 'ignored a notification');
      }
    });
    // 'error' and 'end' both come when the connection dies; only the first one counts.
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('notification');
      if (this.stopped) return;
      this.logger.warn({ why }, 'lost the PostgreSQL change listener; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('the connection ended'));
    await client.connect();
    for (const channel of Object.keys(this.channels)) await client.query(`listen ${channel}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect()
        .then(() => {
          this.wait = FIRST_WAIT_MS;
          this.logger.info('listening for other servers’ changes again');
          this.reconnected();
        })
        .catch((err: unknown) => {
          this.logger.warn(
            { err: String(err), waitMs: this.wait },
            'the PostgreSQL change listener cannot reconnect yet',
          );
          this.wait = Math.min(this.wait * 2, MAX_WAIT_MS);
          if (!this.stopped) this.scheduleReconnect();
        });
    }, this.wait);
  }
}
