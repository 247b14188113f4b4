import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSpec } from '../../../src/runtime/container-spec.js';
import {
  bundleConfig,
  cpuShares,
  INIT_IN_CONTAINER,
  MASKED_PATHS,
  READONLY_PATHS,
} from '../../../src/runtime/oci/bundle.js';

const spec: ContainerSpec = {
  id: '6f1c-guid',
  netnsPath: '/run/netns/weft-6f1c',
  command: 'node server.js',
  cwd: '/home/vcap/app',
  env: { PORT: '8080', HOME: '/home/vcap' },
  uid: 2000,
  gid: 2001,
  memoryMb: 256,
  diskMb: 1024,
  pids: 1024,
  hostname: 'six',
  mounts: [{ source: '/var/weft/app', target: '/home/vcap/app', readOnly: true }],
  userns: null,
};
const seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [] };

interface Config {
  process: {
    user: { uid: number; gid: number; additionalGids: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<string, string[]>;
    noNewPrivileges: boolean;
    rlimits: { type: string }[];
  };
  root: { path: string };
  hostname: string;
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: { memory: { limit: number; swap: number }; pids: { limit: number }; cpu: { shares: number } };
    seccomp: unknown;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

const config = bundleConfig(spec, {
  rootfs: '/var/weft/cell/containers/6f1c-guid/rootfs',
  binds: [
    { source: '/opt/weft/src/runtime/container-init.sh', target: INIT_IN_CONTAINER, readOnly: true },
    ...spec.mounts,
  ],
  seccomp,
  cgroupsPath: '/weft/6f1c-guid',
}) as Config;

test('the app runs through the init as its uid and gid, with no capabilities or new privileges', () => {
  assert.deepEqual(config.process.user, { uid: 2000, gid: 2001, additionalGids: [] });
  assert.deepEqual(config.process.args, ['/bin/sh', INIT_IN_CONTAINER, 'node server.js']);
  assert.deepEqual(config.process.env, ['PATH=/usr/local/bin:/usr/bin:/bin', 'PORT=8080', 'HOME=/home/vcap']);
  assert.equal(config.process.cwd, '/home/vcap/app');
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
    assert.deepEqual(config.process.capabilities[set], [], set);
  }
  assert.equal(config.process.noNewPrivileges, true);
  assert.ok(config.process.rlimits.some((r) => r.type === 'RLIMIT_NOFILE'));
});

test('its own namespaces, but the network namespace it is given', () => {
  assert.deepEqual(config.linux.namespaces, [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
    { type: 'network', path: '/run/netns/weft-6f1c' },
  ]);
  assert.equal(config.hostname, 'six');
});

test('memory without swap on top, pids, CPU shares by memory, seccomp, masked and read-only paths', () => {
  assert.equal(config.linux.cgroupsPath, '/weft/6f1c-guid');
  assert.deepEqual(config.linux.resources.memory, { limit: 256 * 1024 * 1024, swap: 256 * 1024 * 1024 });
  assert.deepEqual(config.linux.resources.pids, { limit: 1024 });
  assert.equal(config.linux.resources.cpu.shares, 256);
  assert.equal(cpuShares(1024), 1024);
  assert.equal(cpuShares(1), 2);
  assert.equal(config.linux.seccomp, seccomp);
  assert.ok(MASKED_PATHS.every((p) => config.linux.maskedPaths.includes(p)));
  assert.ok(config.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(READONLY_PATHS.every((p) => config.linux.readonlyPaths.includes(p)));
  assert.ok(config.linux.readonlyPaths.includes('/proc/sys'));
});

test('the root is the overlay; the only host paths bound in are the init and the spec mounts, read-only', () => {
  assert.equal(config.root.path, '/var/weft/cell/containers/6f1c-guid/rootfs');
  const binds = config.mounts.filter((m) => m.type === 'bind');
  assert.deepEqual(
    binds.map((m) => [m.source, m.destination]),
    [
      ['/opt/weft/src/runtime/container-init.sh', INIT_IN_CONTAINER],
      ['/var/weft/app', '/home/vcap/app'],
    ],
  );
  for (const m of binds) assert.ok(m.options.includes('ro') && m.options.includes('nosuid'), m.destination);
});

test('/proc, a tmpfs /dev with pts, a limited /dev/shm and a read-only /sys', () => {
  const byPath = new Map(config.mounts.map((m) => [m.destination, m]));
  assert.equal(byPath.get('/proc')?.type, 'proc');
  assert.equal(byPath.get('/dev')?.type, 'tmpfs');
  assert.equal(byPath.get('/dev/pts')?.type, 'devpts');
  assert.ok(byPath.get('/dev/shm')?.options.some((o) => /^size=\d+m$/.test(o)));
  assert.ok(byPath.get('/sys')?.options.includes('ro'));
  assert.ok(byPath.get('/sys/fs/cgroup')?.options.includes('ro'));
});

test('in a user namespace of its own: its ids map to a block of host ids, and /sys is an empty read-only tmpfs', () => {
  const userns = { hostBase: 2 ** 30, size: 65_536 };
  const own = bundleConfig(
    { ...spec, userns },
    {
      rootfs: '/r',
      binds: [],
      seccomp,
      cgroupsPath: '/weft/x',
    },
  ) as Config & { linux: { uidMappings: unknown; gidMappings: unknown } };
  assert.ok(own.linux.namespaces.some((n) => n.type === 'user' && n.path === undefined));
  const mapping = [{ containerID: 0, hostID: 2 ** 30, size: 65_536 }];
  assert.deepEqual(own.linux.uidMappings, mapping);
  assert.deepEqual(own.linux.gidMappings, mapping);
  const sys = own.mounts.find((m) => m.destination === '/sys');
  assert.equal(sys?.type, 'tmpfs');
  assert.ok(own.linux.readonlyPaths.includes('/sys'));
  // The process's ids are the container's; the runtime maps them.
  assert.deepEqual(own.process.user, { uid: 2000, gid: 2001, additionalGids: [] });
  assert.ok(!config.linux.namespaces.some((n) => n.type === 'user'), 'none without one');
});
