// Runs an app as a container made from Linux namespaces: the network namespace prepared by attachContainer,
// fresh mount/PID/UTS/IPC namespaces from unshare, and container-init.sh as the namespace's PID 1.
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { assertNetnsName } from '../network/names.js';
import { createMemoryCgroup, type MemoryCgroup } from './cgroup.js';
import { rootProcessEnv } from './app-env.js';
import { initArgs, validateSpec, type ContainerSpec } from './container-spec.js';

export type { BindMount, ContainerSpec } from './container-spec.js';

const INIT_SCRIPT = fileURLToPath(new URL('./container-init.sh', import.meta.url));

export interface ContainerExit {
  /** The app's exit status; 128+N when signal N ended it, as a shell reports it. */
  code: number | null;
  /** Set only if the container's init itself was killed from outside. */
  signal: NodeJS.Signals | null;
}

export interface Container {
  /** Host PID of the container's init (PID 1 inside); execInContainer enters its namespaces. */
  pid: number;
  /** The memory limit file, or undefined when the host has no memory controller. */
  memoryLimitFile: string | undefined;
  /** Resolves once the container has exited and its cgroup is removed. */
  exited: Promise<ContainerExit>;
  /** SIGTERM to the app, SIGKILL to everything in the container after graceMs; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
}

export interface StartHandlers {
  /** Each line the app writes; or, with `logFile`, the app writes straight to that file instead. */
  onOutput?: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * Appended to by the app itself, with no pipe through the cell: the container then outlives a cell
   * that stops without cleaning up, and a restarted cell can adopt it (adopt.ts).
   */
  logFile?: string;
  /** Operational notes about the container, such as a missing memory controller. */
  onLog?: (message: string) => void;
}

async function childPidOf(pid: number): Promise<number> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  const first = Number(children.trim().split(/\s+/)[0]);
  if (!Number.isInteger(first) || first <= 0) throw new Error(`container init of process ${pid} not found`);
  return first;
}

/** How long an app has between SIGTERM and SIGKILL when weft stops its container (Cloud Foundry: 10 s). */
export const STOP_GRACE_MS = 3_000;

/** Starts the container; resolves once its mounts are in place and the app is being started. */
export async function startContainer(spec: ContainerSpec, handlers: StartHandlers): Promise<Container> {
  validateSpec(spec);
  assertNetnsName(spec.netns);
  const cgroup: MemoryCgroup | undefined = await createMemoryCgroup(spec.id, spec.memoryMb);
  if (cgroup === undefined) {
    const log = handlers.onLog ?? ((m: string) => process.emitWarning(m));
    log(`no memory cgroup controller on this host: ${spec.id} runs without a memory limit`);
  }

  const output = handlers.logFile !== undefined ? await open(handlers.logFile, 'a', 0o600) : undefined;
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${spec.netns}`,
      '--',
      'unshare',
      '--mount',
      '--pid',
      '--uts',
      '--ipc',
      '--fork',
      '--mount-proc',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      INIT_SCRIPT,
      ...initArgs(spec, cgroup?.procsFile),
    ],
    {
      // Its own session, so a signal meant for the cell's terminal does not reach the apps.
      detached: true,
      stdio: ['ignore', output?.fd ?? 'pipe', output?.fd ?? 'pipe', 'pipe'],
      env: rootProcessEnv(spec.env),
    },
  );

  await output?.close();
  const setupErrors: string[] = [];
  let ready = false;
  const readyPipe = child.stdio[3] as Duplex | null;
  if (!readyPipe) throw new Error('container pipes missing');
  for (const [stream, input] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ] as const) {
    if (!input) continue;
    createInterface({ input, crlfDelay: Infinity }).on('line', (line) => {
      if (!ready && stream === 'stderr') setupErrors.push(line);
      handlers.onOutput?.(stream, line);
    });
  }

  let hasExited = false;
  const exited = new Promise<ContainerExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      hasExited = true;
      const removed = cgroup ? cgroup.remove() : Promise.resolve();
      removed.then(() => resolve({ code, signal }), reject);
    });
  });

  const becameReady = await new Promise<boolean>((resolve) => {
    let text = '';
    readyPipe.setEncoding('utf8');
    readyPipe.on('data', (d: string) => {
      text += d;
      if (text.includes('ready')) resolve(true);
    });
    readyPipe.on('close', () => resolve(text.includes('ready')));
    readyPipe.on('error', () => resolve(false));
  });
  if (!becameReady) {
    const exit = await exited;
    throw new Error(
      `container ${spec.id} failed to start (exit ${exit.code ?? exit.signal}): ${setupErrors.join(' / ') || (handlers.logFile !== undefined ? `see ${handlers.logFile}` : 'no message')}`,
    );
  }
  ready = true;

  if (child.pid === undefined) throw new Error('container process has no pid');
  // Closing the handshake socket without the acknowledgement makes the waiting init exit.
  const pid = await childPidOf(child.pid).catch(async (err: unknown) => {
    readyPipe.destroy();
    await exited;
    throw err;
  });
  readyPipe.end('go\n');

  return containerHandle(pid, exited, () => hasExited, cgroup?.limitFile);
}

/** Stop and wait for a container whose init has host PID `pid`, however it was started. */
export function containerHandle(
  pid: number,
  exited: Promise<ContainerExit>,
  hasExited: () => boolean,
  memoryLimitFile: string | undefined,
): Container {
  const signal = (sig: NodeJS.Signals): void => {
    if (hasExited()) return;
    try {
      process.kill(pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };

  return {
    pid,
    memoryLimitFile,
    exited,
    async stop(graceMs: number): Promise<void> {
      signal('SIGTERM');
      const ac = new AbortController();
      const graceOver = sleep(graceMs, true, { signal: ac.signal }).catch(() => false);
      const timedOut = await Promise.race([exited.then(() => false), graceOver]);
      ac.abort();
      // The init kills everything else in its PID namespace and then exits with the app's status.
      if (timedOut) signal('SIGUSR1');
      await exited;
    },
  };
}
