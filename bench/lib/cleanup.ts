// Every resource a scenario makes registers its undo here; undos run in reverse, also on a failure or Ctrl-C.
type Undo = () => unknown;

const open = new Set<Scope>();

export class Scope {
  readonly #undo: { what: string; fn: Undo }[] = [];

  constructor() {
    open.add(this);
  }

  defer(what: string, fn: Undo): void {
    this.#undo.push({ what, fn });
  }

  /** Runs every undo even when some fail; failures are reported, not thrown, so the rest still runs. */
  async close(): Promise<void> {
    open.delete(this);
    for (const { what, fn } of this.#undo.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup: ${what}: ${(err as Error).message}`);
      }
    }
    this.#undo.length = 0;
  }
}

export async function withScope<T>(body: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope();
  try {
    return await body(scope);
  } finally {
    await scope.close();
  }
}

let interrupted = false;

/** On SIGINT/SIGTERM or a crash, close every open scope, newest first, then exit. */
export function installSignalCleanup(): void {
  const bail = (why: string, code: number): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${why}: cleaning up`);
    void (async () => {
      for (const scope of [...open].reverse()) await scope.close();
      process.exit(code);
    })();
  };
  process.on('SIGINT', () => bail('SIGINT', 130));
  process.on('SIGTERM', () => bail('SIGTERM', 143));
  process.on('uncaughtException', (err) => bail(`crash: ${err.stack ?? err.message}`, 1));
}
