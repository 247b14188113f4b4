// An instance's OCI runtime-spec config.json, planned from its spec alone: runc or crun build the container
// from it. Everything the container sees of the host is listed here, or (in a user namespace of its own)
// bound into its root by weft beforehand (rootfs.ts bindInto); nothing else is mounted.
import { envList } from '../app-env.js';
import type { ContainerSpec, UserNamespace } from '../container-spec.js';
import type { OciSeccomp } from './seccomp.js';

/** Where the init (container-init.sh, bound read-only from weft's install) sits inside the container. */
export const INIT_IN_CONTAINER = '/usr/lib/weft/init';
/** A directory of the writable layer, the app's own: the init leaves the app's exit status there. */
export const STATUS_DIR_IN_CONTAINER = '/run/weft';
export const SHM_MB = 64;
const NOFILE = 16384;

export interface BundleInputs {
  /** The container's root: the overlay of the stack and its writable layer, already mounted. */
  rootfs: string;
  /** Host files the runtime binds in: the init and the spec's mounts; none where weft bound them already. */
  binds: { source: string; target: string; readOnly: boolean }[];
  seccomp: OciSeccomp;
  /** The container's cgroup, relative to each hierarchy's root. */
  cgroupsPath: string;
}

interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

const NO_CAPABILITIES = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };

/** runc's and crun's defaults: what of /proc and /sys could tell about or change the host. */
export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** CPU shares in proportion to memory, as Cloud Foundry weighs instances: 1 GiB gets the kernel's default 1024. */
export function cpuShares(memoryMb: number): number {
  return Math.min(262_144, Math.max(2, memoryMb));
}

/**
 * sysfs can only be mounted by the user namespace owning the network namespace, and the container's was
 * made by the CNI plugin outside it: a container with its own user namespace gets an empty /sys instead
 * (no host devices or links shown), with its cgroups below as usual; it is made read-only once they are.
 */
function sysMount(ownUserns: boolean): OciMount {
  if (!ownUserns)
    return {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', 'ro'],
    };
  return {
    destination: '/sys',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'noexec', 'nodev', 'mode=755', 'size=64k'],
  };
}

function systemMounts(ownUserns: boolean): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${SHM_MB}m`],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    sysMount(ownUserns),
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    },
  ];
}

function bindMount(source: string, destination: string, readOnly: boolean): OciMount {
  return {
    destination,
    type: 'bind',
    source,
    options: ['rbind', 'rprivate', 'nosuid', 'nodev', ...(readOnly ? ['ro'] : ['rw'])],
  };
}

function idMappings({ hostBase, size }: UserNamespace) {
  const mapping = [{ containerID: 0, hostID: hostBase, size }];
  return { uidMappings: mapping, gidMappings: mapping };
}

export function bundleConfig(spec: ContainerSpec, inputs: BundleInputs): object {
  const memory = spec.memoryMb * 1024 * 1024;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: spec.uid, gid: spec.gid, additionalGids: [] },
      args: ['/bin/sh', INIT_IN_CONTAINER, spec.command],
      env: envList(spec.env),
      cwd: spec.cwd,
      capabilities: NO_CAPABILITIES,
      rlimits: [
        { type: 'RLIMIT_NOFILE', hard: NOFILE, soft: NOFILE },
        { type: 'RLIMIT_CORE', hard: 0, soft: 0 },
      ],
      noNewPrivileges: true,
    },
    root: { path: inputs.rootfs, readonly: false },
    hostname: spec.hostname,
    mounts: [
      ...systemMounts(spec.userns !== null),
      ...inputs.binds.map((m) => bindMount(m.source, m.target, m.readOnly)),
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
        { type: 'network', path: spec.netnsPath },
        ...(spec.userns ? [{ type: 'user' }] : []),
      ],
      ...(spec.userns ? idMappings(spec.userns) : {}),
      cgroupsPath: inputs.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        // Swap equal to the limit: no swap on top, so an app over its limit meets the OOM killer.
        memory: { limit: memory, swap: memory },
        pids: { limit: spec.pids },
        cpu: { shares: cpuShares(spec.memoryMb) },
      },
      seccomp: inputs.seccomp,
      maskedPaths: MASKED_PATHS,
      readonlyPaths: spec.userns ? [...READONLY_PATHS, '/sys'] : READONLY_PATHS,
    },
  };
}
