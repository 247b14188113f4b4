// Takes back a container a previous cell process started and left running (it stopped without
// --cleanup). The container is not our child, so its end is noticed by polling, not by a wait.
import { readFile, readlink, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { removeMemoryCgroup } from './cgroup.js';
import { containerHandle, type Container } from './container.js';

const POLL_MS = 250;

/** The container whose init is `pid`, if that process still runs in network namespace `netns`. */
export async function adoptContainer(id: string, pid: number, netns: string): Promise<Container | null> {
  if (!(await runsIn(pid, netns))) return null;
  let gone = false;
  const exited = (async () => {
    while (await alive(pid)) await sleep(POLL_MS);
    gone = true;
    await removeMemoryCgroup(id);
    // The exit status went to the process that reaped it; an adopted container reports none.
    return { code: null, signal: null };
  })();
  return containerHandle(pid, exited, () => gone, undefined);
}

async function runsIn(pid: number, netns: string): Promise<boolean> {
  try {
    const [theirs, named] = await Promise.all([readlink(`/proc/${pid}/ns/net`), stat(`/run/netns/${netns}`)]);
    return theirs === `net:[${named.ino}]`;
  } catch {
    return false;
  }
}

async function alive(pid: number): Promise<boolean> {
  try {
    // A zombie still has a /proc entry; only its state letter tells it is gone.
    const status = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(status);
  } catch {
    return false;
  }
}
