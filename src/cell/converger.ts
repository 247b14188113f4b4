// Drives the cell's reconcilers (reconcilers.ts): a change runs those that follow its kind, a new world runs
// all of them, and a periodic resync runs all of them in resync mode, where each also checks what it applied
// earlier against the host and repairs drift. Each reconciler runs alone: a request while it runs costs one
// more run afterwards, never a queue of stale ones.
import type { ResourceKind } from '../model/types.js';

/** 'change': the world moved; 'resync': also compare the host with what was applied before, and repair. */
export type RunMode = 'change' | 'resync';

export interface Reconciler<Name extends string = string> {
  name: Name;
  /** Runs at most once per this many milliseconds; requests in between wait and become one run. */
  minIntervalMs?: number;
  /** Brings this reconciler's part of the host in line with the world; resolves to how many things it repaired. */
  run(mode: RunMode): Promise<number>;
}

export interface ConvergerEvents {
  onError(reconciler: string, err: unknown): void;
  /** Drift the resync found and undid: a failed apply, or something changed behind weft's back. */
  onRepaired(reconciler: string, count: number): void;
}

/** Runs one reconciler at a time; a resync asked for while it runs is not lost in a change run. */
class Serial {
  private running: Promise<void> | null = null;
  private pending: RunMode | null = null;
  private lastStart = -Infinity;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly events: ConvergerEvents,
  ) {}

  kick(mode: RunMode): Promise<void> {
    this.pending = this.pending === 'resync' ? 'resync' : mode;
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.pending !== null) {
        const wait = this.lastStart + (this.reconciler.minIntervalMs ?? 0) - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastStart = Date.now();
        const now = this.pending;
        this.pending = null;
        try {
          const repaired = await this.reconciler.run(now);
          if (repaired > 0) this.events.onRepaired(this.reconciler.name, repaired);
        } catch (err) {
          this.events.onError(this.reconciler.name, err);
        }
      }
      this.running = null;
    })();
    return this.running;
  }
}

export class Converger<Name extends string> {
  private readonly serial = new Map<Name, Serial>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    reconcilers: readonly Reconciler<Name>[],
    /** Which reconcilers each kind of change concerns. */
    private readonly follows: Readonly<Record<ResourceKind, readonly Name[]>>,
    events: ConvergerEvents,
  ) {
    for (const r of reconcilers) this.serial.set(r.name, new Serial(r, events));
  }

  /** One change of `kind` arrived. */
  changed(kind: ResourceKind): Promise<void> {
    return this.runAll(this.follows[kind], 'change');
  }

  /** A whole new world (a snapshot, the first world, a restart): every reconciler runs. */
  everything(mode: RunMode = 'change'): Promise<void> {
    return this.runAll([...this.serial.keys()], mode);
  }

  /** One reconciler, for a part that needs another's work done now (an instance waits for the kernel). */
  kick(name: Name): Promise<void> {
    return this.get(name).kick('change');
  }

  /** Runs a full resync every `intervalMs` until stop(). */
  startResync(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.everything('resync'), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async runAll(names: readonly Name[], mode: RunMode): Promise<void> {
    await Promise.all(names.map((n) => this.get(n).kick(mode)));
  }

  private get(name: Name): Serial {
    const s = this.serial.get(name);
    if (!s) throw new Error(`no reconciler named ${name}`);
    return s;
  }
}
