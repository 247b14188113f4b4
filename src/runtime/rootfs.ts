// A container's root filesystem on the host: the stack, read-only and shared, under an overlay whose
// writable layer lives on a tmpfs of the instance's disk size, so a full layer stops at ENOSPC there and
// never reaches the host's disk.
import { chown, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CommandError, run } from '../host/run.js';

export interface RootfsLayout {
  /** The tmpfs holding the overlay's upper and work directories. */
  layer: string;
  upper: string;
  /** The overlay: the container's root. */
  rootfs: string;
}

export function rootfsLayout(bundle: string): RootfsLayout {
  const layer = path.join(bundle, 'layer');
  return { layer, upper: path.join(layer, 'upper'), rootfs: path.join(bundle, 'rootfs') };
}

export interface LayerOwner {
  uid: number;
  gid: number;
  /** Directories of the writable layer the app owns, e.g. its HOME. */
  ownDirs: string[];
}

export async function mountRootfs(bundle: string, stackRootfs: string, diskMb: number, owner: LayerOwner) {
  const l = rootfsLayout(bundle);
  await mkdir(l.layer, { recursive: true, mode: 0o700 });
  await mkdir(l.rootfs, { recursive: true, mode: 0o755 });
  await run(['mount', '-t', 'tmpfs', '-o', `size=${diskMb}m,mode=0755,nosuid,nodev`, 'weft-layer', l.layer]);
  const work = path.join(l.layer, 'work');
  await mkdir(work, { mode: 0o700 });
  for (const dir of owner.ownDirs) {
    const inUpper = path.join(l.upper, dir);
    await mkdir(path.dirname(inUpper), { recursive: true, mode: 0o755 });
    await mkdir(inUpper, { mode: 0o700 });
    await chown(inUpper, owner.uid, owner.gid);
  }
  await mkdir(l.upper, { recursive: true, mode: 0o755 });
  await run([
    'mount',
    '-t',
    'overlay',
    '-o',
    `lowerdir=${stackRootfs},upperdir=${l.upper},workdir=${work}`,
    'weft-rootfs',
    l.rootfs,
  ]);
  return l;
}

async function unmount(dir: string): Promise<void> {
  try {
    await run(['umount', dir]);
  } catch (err) {
    // Not mounted (a half-done setup, or already undone): nothing to do.
    if (!(err instanceof CommandError && /not mounted|no mount point|not found/i.test(err.stderr))) throw err;
  }
}

/** Unmounts the overlay and its layer and removes the bundle; safe to call on a half-built one. */
export async function removeRootfs(bundle: string): Promise<void> {
  const l = rootfsLayout(bundle);
  await unmount(l.rootfs);
  await unmount(l.layer);
  await rm(bundle, { recursive: true, force: true });
}
