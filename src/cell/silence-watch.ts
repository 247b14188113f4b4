// Notices a stream gone silent. Time the process itself spent blocked (a large snapshot being applied)
// is not silence: a check that runs late starts the count afresh, so a busy cell does not drop a
// stream that was talking all along.
export class SilenceWatch {
  private lastHeard = Date.now();
  private lastCheck = Date.now();
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(limitMs: number, onSilent: () => void) {
    const every = limitMs / 4;
    this.timer = setInterval(() => {
      if (this.stopped) return;
      const now = Date.now();
      if (now - this.lastCheck > 2 * every) this.lastHeard = now;
      this.lastCheck = now;
      if (now - this.lastHeard > limitMs) {
        this.stop();
        onSilent();
      }
    }, every);
  }

  heard(): void {
    this.lastHeard = Date.now();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
