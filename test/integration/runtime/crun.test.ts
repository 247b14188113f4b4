// crun runs a weft bundle where it works: a cgroup v2-only host. Elsewhere this says why it cannot, rather
// than run crun in a way that would not enforce the limits (e.g. --cgroup-manager=disabled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerCgroup, deleteContainer, startContainer } from '../../../src/runtime/container.js';
import { cgroupV2Only, probeRuntime } from '../../../src/runtime/oci/runtime-choice.js';
import { ensureStack, stacksDir } from '../../../src/runtime/stack/stack.js';
import { pid, withCell, withContainerNet } from './fixture.js';

const CAP_SYS_RESOURCE = 24;

/** Why crun cannot run a limited container on this host; null where it can. */
function crunRefusal(): string | null {
  if (!['/usr/bin/crun', '/usr/local/bin/crun'].some((p) => existsSync(p))) return 'crun is not installed';
  if (!cgroupV2Only(readFileSync('/proc/self/mountinfo', 'utf8')))
    return 'hybrid cgroups: crun refuses them ("cgroups in hybrid mode not supported") while v2 holds a controller';
  const effective = BigInt(
    `0x${/^CapEff:\s+(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`,
  );
  if ((effective & (1n << BigInt(CAP_SYS_RESOURCE))) === 0n)
    return 'root here lacks CAP_SYS_RESOURCE, which crun 1.8 needs to raise RLIMIT_MEMLOCK for its device filter';
  return null;
}

const refusal = crunRefusal();

test(
  'crun starts a weft bundle with its memory and pids limits, as the app uid',
  { skip: refusal ?? false },
  async (t) => {
    const dir = await mkdtemp(`/var/tmp/weft-it-crun-${pid}-`);
    t.after(() => rm(dir, { recursive: true, force: true }));
    const runtime = await probeRuntime(path.join(dir, 'runtime'), 'crun');
    const host = {
      runtime,
      bundles: path.join(dir, 'bundles'),
      stackRootfs: (await ensureStack(stacksDir(), console.log)).rootfs,
    };
    const cell = await withCell((fn) => t.after(fn));
    const net = await withContainerNet((fn) => t.after(fn), cell, 1);
    const id = `weft-it-${pid}-crun`;
    t.after(() => deleteContainer(host, id));
    const container = await startContainer(
      host,
      {
        id,
        netnsPath: `/run/netns/${net.netns}`,
        command: 'id -u > /run/weft/uid; exec sleep 60',
        cwd: '/home/vcap',
        env: {},
        uid: 64_321,
        gid: 64_321,
        memoryMb: 48,
        diskMb: 8,
        pids: 40,
        hostname: 'crun',
        mounts: [],
        userns: null,
      },
      path.join(dir, 'app.log'),
    );
    const cgroup = path.join('/sys/fs/cgroup', containerCgroup(id));
    assert.equal((await readFile(path.join(cgroup, 'memory.max'), 'utf8')).trim(), String(48 * 1024 * 1024));
    assert.equal((await readFile(path.join(cgroup, 'pids.max'), 'utf8')).trim(), '40');
    const uidFile = path.join(host.bundles, id, 'layer/upper/run/weft/uid');
    while (!existsSync(uidFile)) await sleep(50);
    assert.equal((await readFile(uidFile, 'utf8')).trim(), '64321');
    await container.stop(0);
  },
);
