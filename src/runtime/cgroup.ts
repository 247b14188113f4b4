// Where the cgroup hierarchies are mounted, and removing a cgroup (the cell's own: cell-cgroup.ts; the
// containers' cgroups are the OCI runtime's).
import { readFile, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CgroupMounts {
  v2: string[];
  v1Memory: string | undefined;
}

/** cgroup mount points from /proc/self/mountinfo text. */
export function cgroupMountsFromMountinfo(mountinfo: string): CgroupMounts {
  const mounts: CgroupMounts = { v2: [], v1Memory: undefined };
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    const mountPoint = pre?.split(' ')[4];
    const [fsType, , superOptions] = post?.split(' ') ?? [];
    if (mountPoint === undefined) continue;
    if (fsType === 'cgroup2') mounts.v2.push(mountPoint);
    if (fsType === 'cgroup' && superOptions?.split(',').includes('memory')) mounts.v1Memory ??= mountPoint;
  }
  return mounts;
}

/** The mount point of every cgroup hierarchy: each v1 controller's (and named ones') and the v2 one. */
export function allCgroupMounts(mountinfo: string): string[] {
  const mounts: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    const mountPoint = pre?.split(' ')[4];
    const fsType = post?.split(' ')[0];
    if (mountPoint !== undefined && (fsType === 'cgroup' || fsType === 'cgroup2')) mounts.push(mountPoint);
  }
  return mounts;
}

/**
 * Removes the cgroup at `cgroupPath` in each hierarchy where it is empty. The kernel refuses (EBUSY) one
 * that still has processes or children, e.g. another cell's containers under a parent cells share: it stays.
 */
export async function removeEmptyCgroup(cgroupPath: string): Promise<void> {
  const mounts = allCgroupMounts(await readFile('/proc/self/mountinfo', 'utf8'));
  await Promise.all(
    mounts.map(async (m) => {
      try {
        await rmdir(path.join(m, cgroupPath));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'EBUSY') throw err;
      }
    }),
  );
}

// The kernel refuses rmdir while the last exiting tasks are still being torn down, which takes a moment.
export async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 50) throw err;
      await sleep(20);
    }
  }
}
