// What a container is made of, and the checks that keep a bad spec from reaching the init script.
import path from 'node:path';
import { assertEnvNames } from './app-env.js';

export interface BindMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  /** The instance GUID; names the memory cgroup. */
  id: string;
  /** A network namespace already wired by attachContainer. */
  netns: string;
  /** Run with /bin/sh -c. */
  command: string;
  /** The app's directory, as the container sees it (outside /tmp, which is private to the container). */
  cwd: string;
  /** The app's whole environment; PATH defaults to DEFAULT_APP_PATH (app-env.ts). */
  env: Record<string, string>;
  uid: number;
  gid: number;
  memoryMb: number;
  hostname: string;
  /**
   * Bind mounts done before the app starts. A missing target is created on the host (empty directory or
   * file) so that it can serve as mount point; targets under /tmp would be hidden by the private /tmp.
   */
  mounts: BindMount[];
}

function underTmp(p: string): boolean {
  return p === '/tmp' || p.startsWith('/tmp/') || p === '/dev/shm' || p.startsWith('/dev/shm/');
}

function assertContainerPath(what: string, p: string): void {
  if (!path.isAbsolute(p) || path.normalize(p) !== p || p.includes('\n')) {
    throw new Error(`${what} must be a normalised absolute path, got ${JSON.stringify(p)}`);
  }
  if (underTmp(p)) throw new Error(`${what} ${p} is hidden by the container's private /tmp and /dev/shm`);
}

export function validateSpec(spec: ContainerSpec): void {
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(spec.id) || spec.id === '.' || spec.id === '..') {
    throw new Error(`bad container id ${JSON.stringify(spec.id)}`);
  }
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
  if (!Number.isInteger(spec.memoryMb) || spec.memoryMb <= 0) {
    throw new Error(`memoryMb must be a positive integer, got ${spec.memoryMb}`);
  }
  if (spec.command.trim() === '') throw new Error('command is empty');
  assertContainerPath('cwd', spec.cwd);
  for (const m of spec.mounts) {
    if (!path.isAbsolute(m.source))
      throw new Error(`mount source must be absolute, got ${JSON.stringify(m.source)}`);
    assertContainerPath('mount target', m.target);
  }
  assertEnvNames(spec.env);
}

/** The init script's arguments after its path (see container-init.sh). */
export function initArgs(spec: ContainerSpec, cgroupProcs: string | undefined): string[] {
  return [
    cgroupProcs ?? '-',
    spec.hostname,
    String(spec.uid),
    String(spec.gid),
    spec.cwd,
    spec.command,
    ...spec.mounts.flatMap((m) => [m.source, m.target, m.readOnly ? 'ro' : 'rw']),
  ];
}
