// Network namespaces made while the cell is idle. On a busy host a start waited 20-30 ms for `ip netns
// add` (the spawn queue and the CPU, not the kernel), and the container's create waits for its namespace.
// A start takes a pooled one at once; its own name (/run/netns/weft-…) is bound to it in the background.
// A namespace serves one container only and goes with it: nothing of one tenant's network reaches another.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { ReadyPool } from '../host/ready-pool.js';
import { addNamedNetns, deleteNamedNetns } from './named-netns.js';

export interface NetnsPoolConfig {
  /** The pool's names begin with it: one per cell on a host, so a cell clears only its own leftovers. */
  prefix: string;
  /** How many namespaces are kept ready. */
  size: number;
  /** The pool refills this long after the last take: its commands would compete with the starts. */
  refillDelayMs: number;
  /** A namespace that could not be made: the pool stops filling until the next take. */
  onError: (err: unknown) => void;
}

export class NetnsPool {
  private readonly pool: ReadyPool<string>;

  constructor(cfg: NetnsPoolConfig) {
    this.pool = new ReadyPool({
      size: cfg.size,
      refillDelayMs: cfg.refillDelayMs,
      onError: cfg.onError,
      clearLeft: () => removeLeftNetns(cfg.prefix),
      make: async () => {
        const name = `${cfg.prefix}${randomBytes(4).toString('hex')}`;
        await addNamedNetns(name);
        return name;
      },
      discard: (name) => deleteNamedNetns(name),
    });
  }

  /** Removes what a cell that did not stop cleanly left in the pool, then fills it in the background. */
  open(): Promise<void> {
    return this.pool.open();
  }

  /** A ready namespace's name, now no longer the pool's; null when none is ready. */
  take(): string | null {
    return this.pool.take();
  }

  /** Stops filling and removes the namespaces left unused. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The pool's names for a cell of links named `linkPrefix`. */
export function netnsPoolPrefix(linkPrefix: string): string {
  return `weftpool-${linkPrefix}-`;
}

/** Deletes every namespace named with `prefix`: what a killed cell left, or a test's sweep. */
export async function removeLeftNetns(prefix: string): Promise<void> {
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(prefix))) await deleteNamedNetns(name);
}
