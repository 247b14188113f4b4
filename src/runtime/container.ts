// Runs an app as an OCI container: a bundle (bundle.ts) over the stack's root filesystem (rootfs.ts),
// started detached by runc or crun, so no weft or runtime process stays beside it and it outlives a cell
// that stops without cleaning up; a later cell takes it back by the runtime's state (adoptContainer).
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { constants, mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CommandError, run, runToFile } from '../host/run.js';
import { removeEmptyCgroup } from './cgroup.js';
import { assertContainerId, hostId, validateSpec, type ContainerSpec } from './container-spec.js';
import { watchLogSize } from './log-rotation.js';
import { bundleConfig, INIT_IN_CONTAINER, STATUS_DIR_IN_CONTAINER } from './oci/bundle.js';
import { runtimeArgv, type OciRuntime, type RuntimeRef } from './oci/runtime-choice.js';
import { defaultSeccomp } from './oci/seccomp.js';
import type { LayerPool } from './layer-pool.js';
import {
  bindInto,
  giveOwnDirs,
  mountRootfs,
  removeRootfs,
  rootfsLayout,
  usernsRootfs,
  type HostBind,
} from './rootfs.js';

export type { BindMount, ContainerSpec } from './container-spec.js';

const INIT_SCRIPT = fileURLToPath(new URL('./container-init.sh', import.meta.url));
const POLL_MS = 250;
const HOME_IN_CONTAINER = '/home/vcap';
/** Directories of the writable layer the app owns. */
export const APP_OWN_DIRS: readonly string[] = [HOME_IN_CONTAINER, STATUS_DIR_IN_CONTAINER];

export interface ContainerExit {
  /** The app's exit status, 128+N when signal N ended it; null when unknown (e.g. an adopted container). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Container {
  /** Host PID of the container's init (PID 1 inside). */
  pid: number;
  /** Resolves once the container has exited and is deleted: cgroup, mounts and bundle gone. */
  exited: Promise<ContainerExit>;
  /** SIGTERM to the app, SIGKILL to everything in the container after graceMs; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
}

/** What the cell's containers share: the runtime, where bundles go, and the stack's root filesystem. */
export interface ContainerHost {
  runtime: OciRuntime;
  /** Holds one bundle directory per container. */
  bundles: string;
  stackRootfs: string;
  /** Layers mounted ahead (on the bundles' filesystem); without it, each start mounts its own. */
  layers?: LayerPool;
}

/** Notes how long a step of the start took (see cell/start-trace.ts); by default nothing is noted. */
export type StepTimer = <T>(step: string, p: Promise<T>) => Promise<T>;

const untimed: StepTimer = (_step, p) => p;

/** How long an app has between SIGTERM and SIGKILL when weft stops its container (Cloud Foundry: 10 s). */
export const STOP_GRACE_MS = 3_000;

function bundleDir(host: Pick<ContainerHost, 'bundles'>, id: string): string {
  return path.join(host.bundles, id);
}

/** Every container in the runtime's state, running or not. */
export async function listContainers(runtime: RuntimeRef): Promise<string[]> {
  const out = await run(runtimeArgv(runtime, 'list', '--quiet'));
  return out.split('\n').filter((id) => id !== '');
}

/** The parent of the containers' cgroups in each hierarchy, shared by the cells of a host. */
const CONTAINERS_CGROUP = '/weft';

/** Where the container's cgroup goes in each hierarchy: never inside the cell's own (cell-cgroup.ts). */
export function containerCgroup(id: string): string {
  return `${CONTAINERS_CGROUP}/${id}`;
}

/** The runtime leaves the containers' parent in each hierarchy; it goes once no cell's container is in it. */
export function removeContainersCgroupParent(): Promise<void> {
  return removeEmptyCgroup(CONTAINERS_CGROUP);
}

/** What the root filesystem needs: it can be mounted before the container's env and app are known. */
export type RootfsSpec = Pick<ContainerSpec, 'id' | 'uid' | 'gid' | 'diskMb' | 'userns'>;

export interface StartOptions {
  /** The app starts once this resolves (e.g. its network is wired); if it rejects, the container goes. */
  gate?: Promise<unknown>;
  /** The root filesystem, mounted ahead by prepareRootfs; else it is mounted now. */
  rootfs?: Promise<string>;
  time?: StepTimer;
}

/**
 * Removes what an earlier container of this id left and mounts the new one's root filesystem; resolves
 * to it. Undone by deleteContainer (as a failed startContainer does).
 */
export async function prepareRootfs(
  host: ContainerHost,
  spec: RootfsSpec,
  time: StepTimer = untimed,
): Promise<string> {
  if (leftBehind(host, spec.id)) await time('runtime leftovers', deleteContainer(host, spec.id));
  // Checked in place: a call through the thread pool waits behind whatever else a busy cell has queued there.
  if (!existsSync(host.bundles)) await mkdir(host.bundles, { recursive: true, mode: 0o700 });
  const owner = {
    uid: hostId(spec.userns, spec.uid),
    gid: hostId(spec.userns, spec.gid),
    ownDirs: [...APP_OWN_DIRS],
  };
  const bundle = bundleDir(host, spec.id);
  return time(
    'rootfs',
    (async () => {
      // A root set up in the container's own user namespace lies outside the bundle: no pooled layer there.
      const at = spec.userns !== null ? usernsRootfs(spec.id) : undefined;
      const pooled = at === undefined && (await host.layers?.take(bundle, spec.diskMb)) === true;
      const { rootfs } = pooled
        ? rootfsLayout(bundle)
        : await mountRootfs(bundle, host.stackRootfs, spec.diskMb, APP_OWN_DIRS, at);
      giveOwnDirs(rootfs, owner);
      return rootfs;
    })(),
  );
}

/**
 * Starts the container with the app writing to `logFile` (O_APPEND, capped and rotated by the cell);
 * resolves once the app's process runs. The container is created at once and its app started once the
 * gate resolves; whatever fails, the container and its root filesystem are removed.
 */
export async function startContainer(
  host: ContainerHost,
  spec: ContainerSpec,
  logFile: string,
  { gate = Promise.resolve(), rootfs: mounted, time = untimed }: StartOptions = {},
): Promise<Container> {
  validateSpec(spec);
  const bundle = bundleDir(host, spec.id);
  try {
    const rootfs = await (mounted ?? prepareRootfs(host, spec, time));
    const ownUserns = spec.userns !== null;
    const binds = hostBinds(spec);
    if (ownUserns) await bindInto(rootfs, binds);
    const config = bundleConfig(spec, {
      rootfs,
      binds: ownUserns ? [] : binds,
      seccomp: await defaultSeccomp(),
      cgroupsPath: containerCgroup(spec.id),
    });
    // It holds the app's environment: root's alone. Written in place, as the binds are looked at: on the start's
    // path, a call through the thread pool waits behind whatever else a busy cell has queued there.
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config), { mode: 0o600 });
    // The pid file, not the runtime's state: an app that exits at once is gone before a state query.
    const pid = await time('runtime create', createContainer(host, spec.id, bundle, logFile));
    await time('gate', gate);
    await time('runtime start', run(runtimeArgv(host.runtime, 'start', spec.id)));
    return watchContainer(host, spec.id, pid, logFile);
  } catch (err) {
    await deleteContainer(host, spec.id).catch(() => undefined);
    throw err;
  }
}

/** The host files a container sees: the init, and the spec's mounts (files or directories). */
function hostBinds(spec: ContainerSpec): HostBind[] {
  const binds = [{ source: INIT_SCRIPT, target: INIT_IN_CONTAINER, readOnly: true }, ...spec.mounts];
  return binds.map((m) => ({ ...m, directory: statSync(m.source).isDirectory() }));
}

/**
 * `runtime create` with the app's stdout and stderr on the log file (the runtime chowns them to the
 * app's user); the runtime's own messages go to a file of the bundle, read for the error if it fails.
 * The container's init then waits for `runtime start`.
 */
async function createContainer(
  host: ContainerHost,
  id: string,
  bundle: string,
  logFile: string,
): Promise<number> {
  const runtimeLog = path.join(bundle, 'runtime.log');
  const pidFile = path.join(bundle, 'pid');
  const argv = [
    host.runtime.name,
    '--root',
    host.runtime.root,
    `--log=${runtimeLog}`,
    'create',
    '--pid-file',
    pidFile,
    '--bundle',
    bundle,
    id,
  ];
  try {
    await runToFile(argv, logFile);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    throw new CommandError(argv, err.code, await readFile(runtimeLog, 'utf8').catch(() => ''), err.signal);
  }
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`the runtime left no pid for container ${id}`);
  return pid;
}

interface RuntimeState {
  status: string;
  pid: number;
}

async function state(host: { runtime: RuntimeRef }, id: string): Promise<RuntimeState | null> {
  // runc and crun keep each container's state in a directory of its id: none, no container (and no spawn).
  if (!existsSync(path.join(host.runtime.root, id))) return null;
  try {
    return JSON.parse(await run(runtimeArgv(host.runtime, 'state', id))) as RuntimeState;
  } catch (err) {
    if (err instanceof CommandError) return null;
    throw err;
  }
}

async function statePid(host: ContainerHost, id: string): Promise<number | null> {
  const s = await state(host, id);
  return s?.status === 'running' && s.pid > 0 ? s.pid : null;
}

/**
 * Whether an earlier container of this id left anything: its bundle is made before anything else of it
 * (mounts, cgroups, the runtime's state) and removed last, so without it or a runtime state there is
 * nothing to clean up, and no cgroup hierarchy need be asked (which can take tens of milliseconds).
 */
function leftBehind(host: ContainerHost, id: string): boolean {
  assertContainerId(id);
  return existsSync(bundleDir(host, id)) || existsSync(path.join(host.runtime.root, id));
}

/** Removes the container from the runtime, kills what is left of it, and undoes its mounts and bundle. */
export async function deleteContainer(
  host: { runtime: RuntimeRef; bundles: string },
  id: string,
): Promise<void> {
  assertContainerId(id);
  if ((await state(host, id)) !== null) await run(runtimeArgv(host.runtime, 'delete', '--force', id));
  // A start the runtime failed part way (crun on a host it refuses) leaves the container's cgroups behind.
  await removeEmptyCgroup(containerCgroup(id));
  await removeRootfs(bundleDir(host, id), id);
}

/** The status the init left in the writable layer; read without following links the app may have planted. */
async function exitStatus(host: ContainerHost, id: string): Promise<number | null> {
  const file = path.join(rootfsLayout(bundleDir(host, id)).upper, STATUS_DIR_IN_CONTAINER, 'exit');
  try {
    const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(8), 0, 8, 0);
      const text = buffer.subarray(0, bytesRead).toString().trim();
      return /^\d{1,3}$/.test(text) ? Number(text) : null;
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/** The process's start time (clock ticks after boot), which tells it from a later process given its pid. */
async function startTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie still has a /proc entry; only its state letter tells it is gone.
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

/**
 * The handle of a running container whose init is `pid`. The init is not the cell's child (the runtime
 * detached it), so its end is noticed by polling.
 */
async function watchContainer(
  host: ContainerHost,
  id: string,
  pid: number,
  logFile: string,
): Promise<Container> {
  const started = await startTime(pid);
  const stopRotating = watchLogSize(logFile);
  let killed = false;
  const exited = (async (): Promise<ContainerExit> => {
    while (started !== null && (await startTime(pid)) === started) await sleep(POLL_MS);
    stopRotating();
    const code = (await exitStatus(host, id)) ?? (killed ? 128 + 9 : null);
    await deleteContainer(host, id);
    return { code, signal: null };
  })();
  let gone = false;
  void exited.finally(() => (gone = true)).catch(() => undefined);

  const kill = async (signal: string, all: boolean): Promise<void> => {
    if (gone) return;
    try {
      await run(runtimeArgv(host.runtime, 'kill', ...(all ? ['--all'] : []), id, signal));
    } catch (err) {
      // Already stopped: the runtime refuses to signal it, and the watcher above finishes the job.
      if (!(err instanceof CommandError)) throw err;
    }
  };

  return {
    pid,
    exited,
    async stop(graceMs: number): Promise<void> {
      await kill('TERM', false);
      const ac = new AbortController();
      const graceOver = sleep(graceMs, true, { signal: ac.signal }).catch(() => false);
      const timedOut = await Promise.race([exited.then(() => false), graceOver]);
      ac.abort();
      if (timedOut) {
        killed = true;
        await kill('KILL', true);
      }
      await exited;
    },
  };
}

/**
 * Takes back container `id`, left running by an earlier cell process (it stopped without --cleanup);
 * null, with its remains deleted, if it no longer runs.
 */
export async function adoptContainer(
  host: ContainerHost,
  id: string,
  logFile: string,
): Promise<Container | null> {
  assertContainerId(id);
  const pid = await statePid(host, id);
  if (pid === null) {
    await deleteContainer(host, id);
    return null;
  }
  return watchContainer(host, id, pid, logFile);
}
