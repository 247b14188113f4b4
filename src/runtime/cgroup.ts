// A memory cgroup per container: cgroup v2 when a v2 hierarchy offers the memory controller, else the v1
// memory hierarchy (hybrid hosts such as these, where the v2 mount has no controllers).
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
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

type Hierarchy = { version: 2; root: string } | { version: 1; root: string };

async function memoryHierarchy(): Promise<Hierarchy | undefined> {
  const mounts = cgroupMountsFromMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  for (const root of mounts.v2) {
    const controllers = await readFile(path.join(root, 'cgroup.controllers'), 'utf8').catch(() => '');
    if (controllers.split(/\s+/).includes('memory')) return { version: 2, root };
  }
  return mounts.v1Memory === undefined ? undefined : { version: 1, root: mounts.v1Memory };
}

export interface MemoryCgroup {
  dir: string;
  /** Writing "0" here moves the writing process in; the container's init does that first thing. */
  procsFile: string;
  /** The file holding the limit, for operators and tests. */
  limitFile: string;
  remove(): Promise<void>;
}

async function enableMemoryController(dir: string): Promise<void> {
  const subtree = await readFile(path.join(dir, 'cgroup.subtree_control'), 'utf8');
  if (!subtree.split(/\s+/).includes('memory'))
    await writeFile(path.join(dir, 'cgroup.subtree_control'), '+memory');
}

/** Creates `<hierarchy>/weft/<id>` limited to memoryMb, or resolves undefined when no memory controller exists. */
export async function createMemoryCgroup(id: string, memoryMb: number): Promise<MemoryCgroup | undefined> {
  const hierarchy = await memoryHierarchy();
  if (hierarchy === undefined) return undefined;
  const parent = path.join(hierarchy.root, 'weft');
  const dir = path.join(parent, id);
  await mkdir(dir, { recursive: true });
  const bytes = String(memoryMb * 1024 * 1024);
  let limitFile: string;
  if (hierarchy.version === 2) {
    await enableMemoryController(hierarchy.root);
    await enableMemoryController(parent);
    limitFile = path.join(dir, 'memory.max');
    await writeFile(limitFile, bytes);
    // Without this an app over its limit would swap instead of being stopped by the OOM killer.
    const swapMax = path.join(dir, 'memory.swap.max');
    if (
      await access(swapMax).then(
        () => true,
        () => false,
      )
    )
      await writeFile(swapMax, '0');
  } else {
    limitFile = path.join(dir, 'memory.limit_in_bytes');
    await writeFile(limitFile, bytes);
  }
  return { dir, procsFile: path.join(dir, 'cgroup.procs'), limitFile, remove: () => removeCgroup(dir) };
}

/** Removes the memory cgroup of container `id`, if the host has one; used for adopted containers. */
export async function removeMemoryCgroup(id: string): Promise<void> {
  const hierarchy = await memoryHierarchy();
  if (hierarchy !== undefined) await removeCgroup(path.join(hierarchy.root, 'weft', id));
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

/** The cgroup.procs file of the weft memory cgroup a process is in, so processes entering the container join it. */
export async function memoryCgroupProcsOf(pid: number): Promise<string | undefined> {
  const hierarchy = await memoryHierarchy();
  if (hierarchy === undefined) return undefined;
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const line =
    hierarchy.version === 2
      ? lines.find((l) => l.startsWith('0::'))
      : lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  const cgroupPath = line?.split(':').slice(2).join(':');
  if (cgroupPath === undefined || !cgroupPath.startsWith('/weft/')) return undefined;
  return path.join(hierarchy.root, cgroupPath, 'cgroup.procs');
}
