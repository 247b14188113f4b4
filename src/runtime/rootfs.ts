// A container's root filesystem on the host: the stack, read-only and shared, under an overlay whose
// writable layer lives on a tmpfs of the instance's disk size, so a full layer stops at ENOSPC there and
// never reaches the host's disk.
import { chownSync } from 'node:fs';
import { chmod, mkdir, open, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { CommandError, run } from '../host/run.js';
import { currentMountPoints, mountedAtOrUnder } from './mountinfo.js';

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

/**
 * Where a container in its own user namespace has its root: its runtime sets the root up as the
 * container's root, an unprivileged host uid, which must be able to pass through every directory above
 * it; the cell's own directories are root's alone.
 */
export const USERNS_ROOTFS_DIR = '/run/weft-rootfs';

export function usernsRootfs(id: string): string {
  return path.join(USERNS_ROOTFS_DIR, id);
}

/**
 * Mounts a fresh writable layer and the overlay on `rootfs` (the bundle's own mount point, or
 * usernsRootfs(id)), with `ownDirs` made in the layer, root's until giveOwnDirs.
 */
export async function mountRootfs(
  bundle: string,
  stackRootfs: string,
  diskMb: number,
  ownDirs: readonly string[],
  rootfs = rootfsLayout(bundle).rootfs,
): Promise<RootfsLayout> {
  const l = { ...rootfsLayout(bundle), rootfs };
  if (rootfs !== rootfsLayout(bundle).rootfs) {
    await mkdir(USERNS_ROOTFS_DIR, { recursive: true, mode: 0o711 });
    await chmod(USERNS_ROOTFS_DIR, 0o711);
  }
  // A container in its own user namespace sets its root up as an unprivileged host uid: it must be able to
  // pass through the bundle (not list it; config.json, which holds the env, stays root's alone).
  await mkdir(bundle, { recursive: true, mode: 0o711 });
  // Side by side where they do not depend on each other: each step waits its turn in a busy host's queues.
  await Promise.all([mkdir(l.layer, { mode: 0o700 }), mkdir(l.rootfs, { recursive: true, mode: 0o755 })]);
  await run(['mount', '-t', 'tmpfs', '-o', `size=${diskMb}m,mode=0755,nosuid,nodev`, 'weft-layer', l.layer]);
  const work = path.join(l.layer, 'work');
  await mkdir(l.upper, { mode: 0o755 });
  const makeOwnDirs = async () => {
    for (const dir of ownDirs) {
      const inUpper = path.join(l.upper, dir);
      await mkdir(path.dirname(inUpper), { recursive: true, mode: 0o755 });
      await mkdir(inUpper, { mode: 0o700 });
    }
  };
  await Promise.all([mkdir(work, { mode: 0o700 }), makeOwnDirs()]);
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

/**
 * Gives the app its directories of the layer, through the overlay (which passes the change to the layer).
 * In place: on the start's path, a call through the thread pool waits behind whatever a busy cell queued.
 */
export function giveOwnDirs(rootfs: string, owner: LayerOwner): void {
  for (const dir of owner.ownDirs) chownSync(path.join(rootfs, dir), owner.uid, owner.gid);
}

export interface MountPoint {
  /** Inside the container. */
  target: string;
  directory: boolean;
}

/**
 * Makes the points the runtime binds onto, as root on the host: a runtime in the container's own user
 * namespace may not create them in the stack's root-owned directories. They land in the writable layer.
 */
export async function makeMountPoints(rootfs: string, points: MountPoint[]): Promise<void> {
  for (const p of points) {
    const onHost = path.join(rootfs, p.target);
    if (p.directory) {
      await mkdir(onHost, { recursive: true, mode: 0o755 });
      continue;
    }
    await mkdir(path.dirname(onHost), { recursive: true, mode: 0o755 });
    await (await open(onHost, 'a', 0o644)).close();
  }
}

export interface HostBind extends MountPoint {
  source: string;
  readOnly: boolean;
}

/**
 * Binds host files into the root before the runtime runs, as root on the host: a runtime in the
 * container's own user namespace could not reach them in the cell's root-only directories. The runtime
 * binds the root recursively, so they come along, locked as they are.
 */
export async function bindInto(rootfs: string, binds: HostBind[]): Promise<void> {
  await makeMountPoints(rootfs, binds);
  for (const b of binds) {
    const target = path.join(rootfs, b.target);
    await run(['mount', '--bind', b.source, target]);
    const flags = ['remount', 'bind', 'nosuid', 'nodev', ...(b.readOnly ? ['ro'] : [])];
    await run(['mount', '-o', flags.join(','), target]);
  }
}

async function unmount(dir: string): Promise<void> {
  try {
    await run(['umount', '--recursive', dir]);
  } catch (err) {
    // Not mounted (a half-done setup, or already undone): nothing to do.
    if (!(err instanceof CommandError && /not mounted|no mount point|not found/i.test(err.stderr))) throw err;
  }
}

/**
 * Unmounts the overlay (wherever it went: usernsRootfs(id) when the container's `id` is given) and its
 * layer and removes the bundle; safe on a half-built one.
 */
export async function removeRootfs(bundle: string, id?: string): Promise<void> {
  const l = rootfsLayout(bundle);
  const mounted = await currentMountPoints();
  const unmountIfMounted = async (dir: string) => {
    if (mountedAtOrUnder(mounted, dir)) await unmount(dir);
  };
  await unmountIfMounted(l.rootfs);
  if (id !== undefined) {
    await unmountIfMounted(usernsRootfs(id));
    await rmdir(usernsRootfs(id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  await unmountIfMounted(l.layer);
  await rm(bundle, { recursive: true, force: true });
}
