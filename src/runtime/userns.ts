// Whether containers get a user namespace of their own on this host (each instance's uids then are a
// block of unprivileged host uids no other instance uses), and why not where they cannot.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { UserNamespace } from './container-spec.js';

export type UsernsSupport = { enabled: true } | { enabled: false; reason: string };

/** Ids per container: container uids 0..65535, as a container image expects them. */
export const USERNS_SIZE = 65_536;
/** The first host id of the first block: far above any host's own users and the usual subuid ranges. */
const FIRST_HOST_ID = 2 ** 30;

/** The block of host ids of the container in `slot` (its address's place in the cell's subnet). */
export function slotUserns(slot: number): UserNamespace {
  if (!Number.isInteger(slot) || slot < 0 || slot >= 2 ** 14) throw new Error(`bad slot ${slot}`);
  return { hostBase: FIRST_HOST_ID + slot * USERNS_SIZE, size: USERNS_SIZE };
}

/** The directories a process must pass through to reach `file`, from / down. */
export function ancestors(file: string): string[] {
  const dirs: string[] = [];
  for (let d = path.dirname(path.resolve(file)); ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === path.dirname(d)) return dirs;
  }
}

/**
 * A container in its own user namespace is set up as an unprivileged host uid: the kernel must allow user
 * namespaces, and that uid must be able to pass through every directory above `reachable` (where the
 * containers' roots are mounted).
 */
export async function probeUserns(reachable: string[]): Promise<UsernsSupport> {
  const max = await readFile('/proc/sys/user/max_user_namespaces', 'utf8').catch(() => null);
  if (max === null) return { enabled: false, reason: 'the kernel has no user namespaces' };
  if (Number(max.trim()) === 0) return { enabled: false, reason: 'user.max_user_namespaces is 0' };
  for (const dir of new Set(reachable.flatMap(ancestors))) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      const octal = (mode & 0o777).toString(8);
      return { enabled: false, reason: `${dir} (mode ${octal}) cannot be passed by other users` };
    }
  }
  return { enabled: true };
}
