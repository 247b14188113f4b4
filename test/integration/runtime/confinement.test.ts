// Attacks from inside a container: reading the host, another app or weft's state; exhausting processes,
// the writable layer or the host's disk through the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerCgroup, startContainer, type ContainerSpec } from '../../../src/runtime/container.js';
import { execInContainer } from '../../../src/runtime/exec.js';
import { LOG_CAP_BYTES } from '../../../src/runtime/log-rotation.js';
import { capture, pid, withBaseDir, withCell, withContainerHost, withContainerNet } from './fixture.js';

const APP_UID = 65000 + (pid % 500);

function spec(
  id: string,
  netns: string,
  command: string,
  mounts: ContainerSpec['mounts'] = [],
): ContainerSpec {
  return {
    id,
    netnsPath: `/run/netns/${netns}`,
    command,
    cwd: '/home/vcap',
    env: {},
    uid: APP_UID,
    gid: APP_UID,
    memoryMb: 128,
    diskMb: 8,
    pids: 32,
    hostname: 'attacker',
    mounts,
    userns: null,
  };
}

async function until(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe())) await sleep(50);
}

test('a container sees nothing of the host but its stack and what is bound in', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 11);
  const base = await withBaseDir((fn) => t.after(fn));
  const secret = `weft-planted-${pid}`;
  const planted = [`/root/${secret}`, `/tmp/${secret}`, `/var/tmp/${secret}`, `/etc/${secret}`];
  for (const f of planted) {
    await writeFile(f, 'host secret\n', { mode: 0o644 });
    t.after(() => rm(f, { force: true }));
  }
  const ownApp = path.join(base, 'app-a');
  const otherApp = path.join(base, 'app-b');
  for (const dir of [ownApp, otherApp]) {
    await mkdir(dir);
    await writeFile(path.join(dir, 'code.js'), `// ${path.basename(dir)}\n`, { mode: 0o644 });
  }
  const c = await startContainer(
    host,
    spec(`weft-it-${pid}-k`, net.netns, 'exec sleep 1000', [
      { source: ownApp, target: '/home/vcap/app', readOnly: true },
    ]),
    path.join(base, 'log'),
  );
  t.after(() => c.stop(0));
  const sh = async (script: string) =>
    new Promise<string>((resolve) => {
      void execInContainer(host.runtime, `weft-it-${pid}-k`, {
        uid: APP_UID,
        gid: APP_UID,
        env: {},
        cwd: '/',
        command: ['/bin/sh', '-c', script],
      }).then((child) => {
        let out = '';
        child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.on('close', () => resolve(out));
      });
    });

  for (const f of planted) assert.equal(await sh(`test -e ${f} && echo seen || echo absent`), 'absent\n', f);
  assert.equal(await sh('cat /home/vcap/app/code.js'), '// app-a\n');
  for (const p of [otherApp, base, host.bundles, host.runtime.root, host.stackRootfs, '/var/cache/weft']) {
    assert.equal(await sh(`test -e ${p} && echo seen || echo absent`), 'absent\n', p);
  }
  // Nothing of the host is mounted but the init and the app: the rest is the overlay root and kernel filesystems.
  const points = (await sh('cat /proc/self/mounts'))
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(
      ([, , type]) =>
        !['proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2'].includes(type ?? ''),
    )
    .map(([, point]) => point);
  assert.deepEqual(points, ['/', '/usr/lib/weft/init', '/home/vcap/app']);
  assert.equal(
    await sh('ls /dev | sort | tr "\\n" " "'),
    'fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ',
  );
  assert.equal(await sh('cat /proc/kcore >/dev/null 2>&1 && echo read || echo refused'), 'refused\n');
  assert.equal(
    await sh('echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo wrote || echo refused'),
    'refused\n',
  );
  assert.equal(await sh('touch /sys/x 2>/dev/null && echo wrote || echo refused'), 'refused\n');
});

test('a fork bomb stops at the pids limit and the host carries on', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 12);
  const base = await withBaseDir((fn) => t.after(fn));
  const id = `weft-it-${pid}-f`;
  const c = await startContainer(
    host,
    spec(id, net.netns, 'b() { b | b & }; b; exec sleep 1000'),
    path.join(base, 'log'),
  );
  t.after(() => c.stop(0));
  const cgroup = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup']
    .map((root) => path.join(root, containerCgroup(id)))
    .find((dir) => existsSync(path.join(dir, 'pids.max')));
  assert.ok(cgroup, 'the container has a pids cgroup');
  const refusals = async () =>
    Number(/^max (\d+)$/m.exec(await readFile(path.join(cgroup, 'pids.events'), 'utf8'))?.[1] ?? 0);
  await until(async () => (await refusals()) > 0);
  const current = Number(await readFile(path.join(cgroup, 'pids.current'), 'utf8'));
  assert.ok(current <= 32, `${current} processes in a container limited to 32`);
  // The host still forks, and the bomb ends with its container.
  assert.equal((await capture('/bin/echo', ['host ok'])).stdout, 'host ok\n');
  await c.stop(0);
  assert.equal(existsSync(cgroup), false);
});

test('filling the writable layer stops at its limit with ENOSPC and leaves the host disk alone', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 13);
  const base = await withBaseDir((fn) => t.after(fn));
  const log = path.join(base, 'log');
  const fill =
    'for f in /home/vcap/fill /tmp/fill; do dd if=/dev/zero of=$f bs=1M count=64 2>&1 | head -1; done; echo filled; exec sleep 1000';
  const id = `weft-it-${pid}-s`;
  const c = await startContainer(host, spec(id, net.netns, fill), log);
  t.after(() => c.stop(0));
  await until(async () => (await readFile(log, 'utf8')).includes('filled'));
  assert.equal((await readFile(log, 'utf8')).match(/No space left on device/g)?.length, 2);
  const upper = path.join(host.bundles, id, 'layer/upper');
  assert.ok((await stat(path.join(upper, 'home/vcap/fill'))).size <= 8 * 1024 * 1024);
  // The writes went to the instance's tmpfs, not to a filesystem on the host's disk.
  const TMPFS_MAGIC = 0x01021994;
  assert.equal((await statfs(upper)).type, TMPFS_MAGIC);
  assert.ok((await statfs(upper)).blocks * (await statfs(upper)).bsize <= 8 * 1024 * 1024);
});

test("an app's log is capped: over the cap it is rotated to one FILE.1 and the app keeps writing", async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 14);
  const base = await withBaseDir((fn) => t.after(fn));
  const log = path.join(base, 'log');
  const mb = Math.ceil(LOG_CAP_BYTES / 1024 / 1024) + 4;
  const writer = `head -c ${mb}M /dev/zero | tr '\\0' x | fold -w 1023; echo big written; while [ ! -e /home/vcap/go ]; do sleep 0.1; done; echo after rotation; exec sleep 1000`;
  const id = `weft-it-${pid}-l`;
  const c = await startContainer(host, spec(id, net.netns, writer), log);
  t.after(() => c.stop(0));
  await until(async () => existsSync(`${log}.1`) && (await stat(`${log}.1`)).size > LOG_CAP_BYTES);
  await until(async () => (await stat(log)).size < LOG_CAP_BYTES);
  const go = await execInContainer(host.runtime, id, {
    uid: APP_UID,
    gid: APP_UID,
    env: {},
    cwd: '/',
    command: ['touch', '/home/vcap/go'],
  });
  await new Promise((resolve) => go.on('close', resolve));
  await until(async () => (await readFile(log, 'utf8')).includes('after rotation'));
  assert.ok((await stat(log)).size < LOG_CAP_BYTES);
  assert.equal(existsSync(`${log}.2`), false);
});
