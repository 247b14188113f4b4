// Which OCI runtime runs the containers: crun where the host has cgroup v2 alone (crun refuses hybrid
// hosts' v1 controllers), runc otherwise. Probed at the cell's start, never guessed.
import { access, mkdir, readFile } from 'node:fs/promises';
import { run } from '../../host/run.js';

export type RuntimeName = 'runc' | 'crun';

export interface OciRuntime {
  name: RuntimeName;
  /** Its first --version line, for the cell's start line. */
  version: string;
  /** Its state directory (--root): the cell's own, so cells on one host keep apart. */
  root: string;
}

/** Whether /proc/self/mountinfo text has cgroup v2 at /sys/fs/cgroup, i.e. a unified-only host. */
export function cgroupV2Only(mountinfo: string): boolean {
  return mountinfo.split('\n').some((line) => {
    const [pre, post] = line.split(' - ');
    return pre?.split(' ')[4] === '/sys/fs/cgroup' && post?.split(' ')[0] === 'cgroup2';
  });
}

export function chooseRuntime(v2Only: boolean, installed: ReadonlySet<RuntimeName>): RuntimeName {
  if (v2Only && installed.has('crun')) return 'crun';
  if (installed.has('runc')) return 'runc';
  throw new Error(
    v2Only
      ? 'neither runc nor crun is installed (scripts/setup installs them)'
      : 'runc is not installed (scripts/setup installs it); crun needs a cgroup v2-only host',
  );
}

async function installed(name: RuntimeName): Promise<boolean> {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (
      await access(`${dir}/${name}`).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

/** The runtime for this host, or `wanted` if given; its state lives in `root`. */
export async function probeRuntime(root: string, wanted?: RuntimeName): Promise<OciRuntime> {
  const names = new Set<RuntimeName>();
  for (const n of ['runc', 'crun'] as const) if (await installed(n)) names.add(n);
  const name = wanted ?? chooseRuntime(cgroupV2Only(await readFile('/proc/self/mountinfo', 'utf8')), names);
  if (!names.has(name)) throw new Error(`${name} is not installed`);
  const version = (await run([name, '--version'])).split('\n')[0]?.trim() ?? name;
  await mkdir(root, { recursive: true, mode: 0o700 });
  return { name, version, root };
}

/** Enough of a runtime to run its commands. */
export type RuntimeRef = Pick<OciRuntime, 'name' | 'root'>;

/** argv of one runtime command, e.g. runtimeArgv(rt, 'state', id). */
export function runtimeArgv(rt: RuntimeRef, ...args: string[]): string[] {
  return [rt.name, '--root', rt.root, ...args];
}
