// `weft ssh`: a command or shell inside a running container, as the app's user and without capabilities.
import { spawn, type ChildProcess } from 'node:child_process';
import { memoryCgroupProcsOf } from './cgroup.js';
import { rootProcessEnv, shellQuote, WITH_APP_ENV } from './app-env.js';

export interface ExecOptions {
  uid: number;
  gid: number;
  /** Defaults to an interactive /bin/sh. */
  command?: string[];
  /** Run under a pseudo-terminal (via util-linux `script`), for interactive use over plain pipes. */
  tty?: boolean;
  env: Record<string, string>;
}

// The same privilege drop as container-init.sh gives the app.
function dropPrivilegesArgv(uid: number, gid: number): string[] {
  for (const id of [uid, gid]) {
    if (!Number.isInteger(id) || id <= 0)
      throw new Error(`exec needs a non-root uid and gid, got ${uid}:${gid}`);
  }
  return [
    '/usr/bin/setpriv',
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
  ];
}

/** The argv run inside the container's namespaces. */
export function execArgv(opts: ExecOptions): string[] {
  const command = opts.command ?? ['/bin/sh', '-i'];
  const inContainer = opts.tty
    ? ['/usr/bin/script', '-q', '-e', '-c', command.map(shellQuote).join(' '), '/dev/null']
    : command;
  return [...dropPrivilegesArgv(opts.uid, opts.gid), '--', ...WITH_APP_ENV, ...inContainer];
}

/**
 * Enters the mount, PID, UTS, IPC and network namespaces of the container whose init has host PID `pid`,
 * joining its memory cgroup first so the session counts against the container's limit.
 */
export async function execInContainer(pid: number, opts: ExecOptions): Promise<ChildProcess> {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad container pid ${pid}`);
  const enter = [
    '/usr/bin/nsenter',
    '-t',
    String(pid),
    '-m',
    '-p',
    '-u',
    '-i',
    '-n',
    '--wd',
    '--',
    ...execArgv(opts),
  ];
  const procs = await memoryCgroupProcsOf(pid);
  const argv = procs
    ? ['/bin/sh', '-c', 'echo 0 >"$1" && shift && exec "$@"', 'weft-exec', procs, ...enter]
    : enter;
  const [program, ...args] = argv as [string, ...string[]];
  return spawn(program, args, {
    stdio: 'pipe',
    env: rootProcessEnv(opts.env),
  });
}
