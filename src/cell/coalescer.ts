// Runs a task again after the current run whenever it is asked to while running, so bursts of changes
// cost one extra run, never a queue of stale ones.
export class Coalescer {
  private running: Promise<void> | null = null;
  private dirty = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  kick(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.dirty = false;
        try {
          await this.task();
        } catch (err) {
          this.onError(err);
        }
      } while (this.dirty);
      this.running = null;
    })();
    return this.running;
  }
}
