// What a container is made of, and the checks that keep a bad spec from reaching the OCI runtime.
import path from 'node:path';
import { assertEnvNames } from './app-env.js';

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  /** The instance GUID; names the container, its cgroup and its bundle. */
  id: string;
  /** A network namespace already wired for the container, e.g. /run/netns/NAME. */
  netnsPath: string;
  /** Run with /bin/sh -c. */
  command: string;
  /** The app's working directory inside the container. */
  cwd: string;
  /** The app's whole environment; PATH defaults to DEFAULT_APP_PATH (app-env.ts). */
  env: Record<string, string>;
  uid: number;
  gid: number;
  memoryMb: number;
  /** The size of the writable layer (the root filesystem's changes, /tmp and HOME included). */
  diskMb: number;
  /** The most processes and threads the container may have at once. */
  pids: number;
  hostname: string;
  /** Host files and directories bound into the container, e.g. the app's directory at /home/vcap/app. */
  mounts: BindMount[];
  /** The container's own user namespace, or null where the host allows none (uids then map 1:1). */
  userns: UserNamespace | null;
}

/** Container uids and gids 0..size-1 are host ids hostBase..hostBase+size-1. */
export interface UserNamespace {
  hostBase: number;
  size: number;
}

/** The host uid (or gid) of container id `id` in `userns`; the same id without one. */
export function hostId(userns: UserNamespace | null, id: number): number {
  return userns === null ? id : userns.hostBase + id;
}

/** The default limit on processes and threads in one container. */
export const DEFAULT_PIDS = 1024;

/** The writable layer of a container (Cloud Foundry's default disk quota). */
export const DEFAULT_DISK_MB = 1024;

function assertContainerPath(what: string, p: string): void {
  if (!path.isAbsolute(p) || path.normalize(p) !== p || p.includes('\n') || p === '/') {
    throw new Error(`${what} must be a normalised absolute path below /, got ${JSON.stringify(p)}`);
  }
  for (const reserved of ['/proc', '/sys', '/dev']) {
    if (p === reserved || p.startsWith(`${reserved}/`)) throw new Error(`${what} ${p} is under ${reserved}`);
  }
}

/** A container id also names a directory and a cgroup: no path tricks. */
export function assertContainerId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id))
    throw new Error(`bad container id ${JSON.stringify(id)}`);
}

export function validateSpec(spec: ContainerSpec): void {
  assertContainerId(spec.id);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(spec.hostname)) {
    throw new Error(`bad hostname ${JSON.stringify(spec.hostname)}`);
  }
  for (const [what, n] of [
    ['uid', spec.uid],
    ['gid', spec.gid],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0 || n > 0xfffffffe)
      throw new Error(`${what} must be a non-root id, got ${n}`);
  }
  for (const [what, n] of [
    ['memoryMb', spec.memoryMb],
    ['diskMb', spec.diskMb],
    ['pids', spec.pids],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${n}`);
  }
  if (spec.userns !== null) {
    const { hostBase, size } = spec.userns;
    if (!Number.isInteger(hostBase) || hostBase <= 0 || !Number.isInteger(size) || size <= spec.uid)
      throw new Error(`bad user namespace ${JSON.stringify(spec.userns)} for uid ${spec.uid}`);
    if (hostBase + size > 0xffffffff) throw new Error('the user namespace runs past the last uid');
  }
  if (spec.command.trim() === '') throw new Error('command is empty');
  if (!path.isAbsolute(spec.netnsPath)) throw new Error(`netnsPath must be absolute, got ${spec.netnsPath}`);
  assertContainerPath('cwd', spec.cwd);
  for (const m of spec.mounts) {
    if (!path.isAbsolute(m.source))
      throw new Error(`mount source must be absolute, got ${JSON.stringify(m.source)}`);
    assertContainerPath('mount target', m.target);
  }
  assertEnvNames(spec.env);
}
