// `weft ssh`: a command or shell inside a running container, as the app's user, without capabilities and
// under the container's seccomp profile, cgroup and namespaces (the runtime's exec).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { envList, shellQuote } from './app-env.js';
import { runtimeArgv, type RuntimeRef } from './oci/runtime-choice.js';

export interface ExecOptions {
  uid: number;
  gid: number;
  /** Defaults to an interactive /bin/sh. */
  command?: string[];
  /** Run under a pseudo-terminal (via util-linux `script`), for interactive use over plain pipes. */
  tty?: boolean;
  env: Record<string, string>;
  cwd: string;
}

/** The argv run inside the container. */
export function execArgv(opts: Pick<ExecOptions, 'command' | 'tty'>): string[] {
  const command = opts.command ?? ['/bin/sh', '-i'];
  return opts.tty
    ? ['/usr/bin/script', '-q', '-e', '-c', command.map(shellQuote).join(' '), '/dev/null']
    : command;
}

/** The OCI process of an exec: the app's user and environment, nothing more. */
export function execProcess(opts: ExecOptions): object {
  for (const id of [opts.uid, opts.gid]) {
    if (!Number.isInteger(id) || id <= 0)
      throw new Error(`exec needs a non-root uid and gid, got ${opts.uid}:${opts.gid}`);
  }
  return {
    terminal: false,
    user: { uid: opts.uid, gid: opts.gid, additionalGids: [] },
    args: execArgv(opts),
    env: envList(opts.env),
    cwd: opts.cwd,
    capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
    noNewPrivileges: true,
  };
}

/** Runs the command in container `id`; the process description (it holds the app's env) is root's alone. */
export async function execInContainer(
  runtime: RuntimeRef,
  id: string,
  opts: ExecOptions,
): Promise<ChildProcess> {
  const dir = await mkdtemp(path.join(runtime.root, 'exec-'));
  const processFile = path.join(dir, 'process.json');
  await writeFile(processFile, JSON.stringify(execProcess(opts)), { mode: 0o600 });
  const [program, ...args] = runtimeArgv(runtime, 'exec', '--process', processFile, id) as [
    string,
    ...string[],
  ];
  const child = spawn(program, args, { stdio: 'pipe', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  child.on('close', () => void rm(dir, { recursive: true, force: true }));
  return child;
}
