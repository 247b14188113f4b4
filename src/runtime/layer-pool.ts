// Writable layers mounted while the cell is idle: a start renames one into its container's bundle instead
// of mounting a tmpfs and an overlay on its critical path (a busy host's spawn queue made that 50–70 ms).
// A layer serves one container only: it leaves the pool unused and goes with its container, so nothing an
// app wrote can reach another. Mounts below a directory follow it when it is renamed.
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ReadyPool } from '../host/ready-pool.js';
import { mountRootfs, removeRootfs } from './rootfs.js';

export interface LayerPoolConfig {
  /** Holds the ready layers; on the bundles' filesystem, so that a rename moves one into a bundle. */
  dir: string;
  stackRootfs: string;
  /** The tmpfs size of every layer in the pool; a start asking for another size mounts its own. */
  diskMb: number;
  /** Made in each layer, root's until the start gives them to the app (giveOwnDirs). */
  ownDirs: readonly string[];
  /** How many layers are kept ready. */
  size: number;
  /**
   * The pool refills this long after the last take, not at once: the mounts would compete with the start
   * that took the layer (and the starts of a burst) for the spawner and the CPU.
   */
  refillDelayMs: number;
  /** A layer that could not be made: the pool stops filling until the next take. */
  onError: (err: unknown) => void;
}

export class LayerPool {
  private readonly pool: ReadyPool<string>;

  constructor(private readonly cfg: LayerPoolConfig) {
    this.pool = new ReadyPool({
      size: cfg.size,
      refillDelayMs: cfg.refillDelayMs,
      onError: cfg.onError,
      clearLeft: async () => {
        await removeLeftLayers(cfg.dir);
        await mkdir(cfg.dir, { recursive: true, mode: 0o700 });
      },
      make: async () => {
        const layer = path.join(cfg.dir, randomBytes(8).toString('hex'));
        try {
          await mountRootfs(layer, cfg.stackRootfs, cfg.diskMb, cfg.ownDirs);
        } catch (err) {
          await removeRootfs(layer);
          throw err;
        }
        return layer;
      },
      discard: (layer) => removeRootfs(layer),
    });
  }

  /** Removes what a cell that did not stop cleanly left in the pool, then fills it in the background. */
  open(): Promise<void> {
    return this.pool.open();
  }

  /**
   * Moves a ready layer to `bundle` (which must not exist), its replacement made once starts pause; false
   * when none is ready or the size differs: the caller then mounts a layer itself.
   */
  async take(bundle: string, diskMb: number): Promise<boolean> {
    if (diskMb !== this.cfg.diskMb) return false;
    const layer = this.pool.take();
    if (layer === null) return false;
    try {
      // In place, as giveOwnDirs: a rename is one system call, and the thread pool may be queued up.
      renameSync(layer, bundle);
    } catch (err) {
      await removeRootfs(layer);
      throw err;
    }
    return true;
  }

  /** Stops filling and removes the layers left unused. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Unmounts and removes every layer in a pool directory: what a killed cell left, or a test's sweep. */
export async function removeLeftLayers(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of await readdir(dir)) await removeRootfs(path.join(dir, name));
}
