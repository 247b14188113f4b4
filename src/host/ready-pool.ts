// Things made while the cell is idle for the starts to come (writable layers, network namespaces): a start
// takes one ready instead of making it on its critical path. Each item is handed out once; the pool
// refills a while after the last take, so its own commands do not compete with the starts that took them.

export interface ReadyPoolConfig<T> {
  /** How many items are kept ready. */
  size: number;
  /** The pool refills this long after the last take. */
  refillDelayMs: number;
  /** Removes what an earlier owner that did not stop cleanly left; runs before anything is made. */
  clearLeft: () => Promise<void>;
  /** Makes one item; on failure it leaves nothing behind. */
  make: () => Promise<T>;
  /** Removes an item never handed out. */
  discard: (item: T) => Promise<void>;
  /** An item could not be made: the pool stops filling until the next take. */
  onError: (err: unknown) => void;
}

export class ReadyPool<T> {
  private readonly ready: T[] = [];
  /** The fill in progress, if any; close() waits for it. */
  private filling: Promise<void> | null = null;
  private refill: NodeJS.Timeout | null = null;
  /** open()'s clearing of what an earlier owner left; nothing is made before it is done. */
  private opening: Promise<void> | null = null;
  private opened = false;
  private closed = false;

  constructor(private readonly cfg: ReadyPoolConfig<T>) {}

  /** Clears what an earlier owner left, then fills the pool in the background. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      await this.cfg.clearLeft();
      this.opened = true;
      this.fill();
    })();
    return this.opening;
  }

  /** A ready item, no longer the pool's; null when none is ready. Its replacement is made once starts pause. */
  take(): T | null {
    if (this.closed) return null;
    const item = this.ready.shift() ?? null;
    this.refillLater();
    return item;
  }

  /** Stops filling and removes the items left unused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refill !== null) clearTimeout(this.refill);
    // An owner closed as it starts still clears what the one before it left.
    await this.opening?.catch(() => undefined);
    await this.filling;
    for (const item of this.ready.splice(0)) await this.cfg.discard(item);
  }

  private refillLater(): void {
    if (this.refill !== null) clearTimeout(this.refill);
    this.refill = setTimeout(() => {
      this.refill = null;
      this.fill();
    }, this.cfg.refillDelayMs);
    this.refill.unref();
  }

  private fill(): void {
    if (!this.opened || this.closed || this.filling !== null) return;
    this.filling = (async () => {
      try {
        while (!this.closed && this.ready.length < this.cfg.size) this.ready.push(await this.cfg.make());
      } catch (err) {
        this.cfg.onError(err);
      } finally {
        this.filling = null;
      }
    })();
  }
}
