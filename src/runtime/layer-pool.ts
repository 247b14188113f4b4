// Writable layers mounted while the cell is idle: a start renames one into its container's bundle instead
// of mounting a tmpfs and an overlay on its critical path (a busy host's spawn queue made that 50–70 ms).
// A layer serves one container only: it leaves the pool unused and goes with its container, so nothing an
// app wrote can reach another. Mounts below a directory follow it when it is renamed.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
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
  private readonly ready: string[] = [];
  /** The fill in progress, if any; close() waits for it. */
  private filling: Promise<void> | null = null;
  private refill: NodeJS.Timeout | null = null;
  /** open()'s clearing of what an earlier cell left; no layer is made before it is done. */
  private opening: Promise<void> | null = null;
  private opened = false;
  private closed = false;

  constructor(private readonly cfg: LayerPoolConfig) {}

  /** Removes what a cell that did not stop cleanly left in the pool, then fills it in the background. */
  open(): Promise<void> {
    this.opening ??= (async () => {
      await removeLeftLayers(this.cfg.dir);
      await mkdir(this.cfg.dir, { recursive: true, mode: 0o700 });
      this.opened = true;
      this.fill();
    })();
    return this.opening;
  }

  /**
   * Moves a ready layer to `bundle` (which must not exist), its replacement made once starts pause; false
   * when none is ready or the size differs: the caller then mounts a layer itself.
   */
  async take(bundle: string, diskMb: number): Promise<boolean> {
    if (this.closed || diskMb !== this.cfg.diskMb) return false;
    const layer = this.ready.shift();
    this.refillLater();
    if (layer === undefined) return false;
    try {
      await rename(layer, bundle);
    } catch (err) {
      await removeRootfs(layer);
      throw err;
    }
    return true;
  }

  /** Stops filling and removes the layers left unused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refill !== null) clearTimeout(this.refill);
    // A cell stopped as it starts still clears what the one before it left.
    await this.opening?.catch(() => undefined);
    await this.filling;
    const left = this.ready.splice(0);
    for (const layer of left) await removeRootfs(layer);
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
        while (!this.closed && this.ready.length < this.cfg.size) {
          const layer = path.join(this.cfg.dir, randomBytes(8).toString('hex'));
          try {
            await mountRootfs(layer, this.cfg.stackRootfs, this.cfg.diskMb, this.cfg.ownDirs);
          } catch (err) {
            await removeRootfs(layer);
            throw err;
          }
          this.ready.push(layer);
        }
      } catch (err) {
        this.cfg.onError(err);
      } finally {
        this.filling = null;
      }
    })();
  }
}

/** Unmounts and removes every layer in a pool directory: what a killed cell left, or a test's sweep. */
export async function removeLeftLayers(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of await readdir(dir)) await removeRootfs(path.join(dir, name));
}
