// The cell's own cgroup v2. The kernel rules let the sockets of this cgroup (the cell's proxy and health
// checks) reach containers without a policy, and no other process on the host; so the cell moves into a
// cgroup of its own, a child of the one it was started in (under systemd, inside its service's).
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cgroupMountsFromMountinfo, removeCgroup } from './cgroup.js';

/** nft's `socket cgroupv2` takes paths relative to this directory. */
const NFT_CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupPlace {
  dir: string;
  /** Relative to /sys/fs/cgroup, as nft takes it. */
  path: string;
  /** Depth in the cgroup v2 hierarchy, whose root is 0. */
  level: number;
}

/** The cgroup v2 path in /proc/PID/cgroup text (the `0::` line). */
export function v2CgroupPath(procCgroup: string): string {
  const line = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) throw new Error('this process is in no cgroup v2 hierarchy');
  return line.slice(3);
}

/** Where the cgroup at `cgroupPath` of the v2 hierarchy mounted at `mount` lives, for the filesystem and for nft. */
export function cgroupPlace(mount: string, cgroupPath: string): CgroupPlace {
  const under = path.relative(NFT_CGROUP_ROOT, mount);
  if (under.startsWith('..') || path.isAbsolute(under)) {
    throw new Error(
      `cgroup v2 is mounted at ${mount}, outside ${NFT_CGROUP_ROOT} where nft looks for cgroups`,
    );
  }
  const parts = cgroupPath.split('/').filter((p) => p !== '');
  return {
    dir: path.join(mount, ...parts),
    path: [under, ...parts].filter((p) => p !== '').join('/'),
    level: parts.length,
  };
}

export function childPlace(parent: CgroupPlace, name: string): CgroupPlace {
  return {
    dir: path.join(parent.dir, name),
    path: parent.path === '' ? name : `${parent.path}/${name}`,
    level: parent.level + 1,
  };
}

/** This process's cgroup in the v2 hierarchy mounted under /sys/fs/cgroup (itself, or `unified` on hybrid hosts). */
export async function currentCgroup(): Promise<CgroupPlace> {
  const mounts = cgroupMountsFromMountinfo(await readFile('/proc/self/mountinfo', 'utf8')).v2;
  const mount = mounts.find((m) => m === NFT_CGROUP_ROOT || m.startsWith(`${NFT_CGROUP_ROOT}/`));
  if (mount === undefined) {
    throw new Error(
      `no cgroup v2 hierarchy is mounted under ${NFT_CGROUP_ROOT} (cgroup v2 mounts: ${mounts.join(', ') || 'none'}); ` +
        'the cell needs one to tell its own sockets from those of other processes',
    );
  }
  return cgroupPlace(mount, v2CgroupPath(await readFile('/proc/self/cgroup', 'utf8')));
}

export interface CellCgroup extends CgroupPlace {
  /** Moves the process back to the cgroup it came from and removes this one. */
  leave(): Promise<void>;
}

/**
 * Moves this process into `<its cgroup>/weft-cell-<table>-<network namespace>`: cells of several network
 * namespaces on one host stay apart, and a restarted cell finds its own again. Sockets opened before keep
 * the old cgroup, so the cell calls this before it connects to any container.
 */
export async function enterCellCgroup(table: string): Promise<CellCgroup> {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(table))
    throw new Error(`table name ${JSON.stringify(table)} cannot name a cgroup`);
  const parent = await currentCgroup();
  const netns = (await stat('/proc/self/ns/net')).ino;
  const place = childPlace(parent, `weft-cell-${table}-${netns}`);
  await mkdir(place.dir, { recursive: true });
  await writeFile(path.join(place.dir, 'cgroup.procs'), String(process.pid));
  return {
    ...place,
    async leave() {
      await writeFile(path.join(parent.dir, 'cgroup.procs'), String(process.pid));
      await removeCgroup(place.dir);
    },
  };
}
