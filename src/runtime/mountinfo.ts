// Which paths are mount points, from /proc/self/mountinfo: a start checks its container's leftovers this
// way instead of spawning `umount` for paths that were never mounted (each spawn costs milliseconds).
import { readFile } from 'node:fs/promises';

/** The mount points of a mountinfo text, their octal escapes (\040 for a space) decoded. */
export function mountPointsOf(mountinfo: string): string[] {
  return mountinfo.split('\n').flatMap((line) => {
    const field = line.split(' ')[4];
    if (field === undefined) return [];
    return [field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))];
  });
}

/** Whether `dir` or a path below it is among `mountPoints`. */
export function mountedAtOrUnder(mountPoints: readonly string[], dir: string): boolean {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountPoints.some((m) => m === dir || m.startsWith(prefix));
}

export async function currentMountPoints(): Promise<string[]> {
  return mountPointsOf(await readFile('/proc/self/mountinfo', 'utf8'));
}
