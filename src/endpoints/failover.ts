// The servers of one control plane, tried in order: calls stay with the server that last answered and
// move on to the next when it cannot be reached. Every server shares one database, so any of them
// serves any call, and a change stream resumes on one from the revision another left off at.

/** A server that has not accepted a connection by then is passed over for the next. */
export const CONNECT_TIMEOUT_MS = 1_000;

export class ApiEndpoints {
  private index = 0;

  constructor(readonly urls: readonly string[]) {
    if (urls.length === 0) throw new Error('no API URL given');
  }

  get current(): string {
    return this.urls[this.index] ?? '';
  }

  /** Moves away from `url` (a server that failed), unless another call already did. */
  leave(url: string): void {
    if (this.current === url) this.index = (this.index + 1) % this.urls.length;
  }

  /**
   * Runs `attempt` against the current server, then each other one in turn while `mayRetry` says
   * the failure is one another server may take over; fails with every server's reason.
   */
  async call<T>(attempt: (url: string) => Promise<T>, mayRetry: (err: unknown) => boolean): Promise<T> {
    const start = this.index;
    const failures: Error[] = [];
    for (let i = 0; i < this.urls.length; i++) {
      const url = this.urls[(start + i) % this.urls.length] ?? '';
      try {
        return await attempt(url);
      } catch (err) {
        if (!mayRetry(err)) throw err;
        failures.push(err instanceof Error ? err : new Error(String(err)));
        this.leave(url);
      }
    }
    const [only] = failures;
    if (failures.length === 1 && only) throw only;
    throw new Error(`no API server answered: ${failures.map((f) => f.message).join('; ')}`, {
      cause: failures.at(-1),
    });
  }
}
