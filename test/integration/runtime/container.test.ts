import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cgroupMountsFromMountinfo } from '../../../src/runtime/cgroup.js';
import { startContainer, type Container, type ContainerSpec } from '../../../src/runtime/container.js';
import { execInContainer } from '../../../src/runtime/exec.js';
import { capture, pid, withBaseDir, withCell, withContainerNet } from './fixture.js';

const APP_UID = 64000 + (pid % 1000);
const PORT = 8080;

// Serves HTTP on $PORT, then prints a line on each stream.
const SERVER = `node -e "
require('http')
  .createServer((q, s) => s.end('hi from ' + require('os').hostname()))
  .listen(process.env.PORT, () => { console.log('hello on stdout'); console.error('hello on stderr'); });
"`;

function collectLines() {
  const lines: string[] = [];
  const waiters: { match: string; resolve: () => void }[] = [];
  return {
    lines,
    onOutput(stream: 'stdout' | 'stderr', line: string) {
      lines.push(`${stream}: ${line}`);
      for (const w of waiters.filter((w) => `${stream}: ${line}` === w.match)) w.resolve();
    },
    seen(match: string): Promise<void> {
      if (lines.includes(match)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

function alive(hostPid: number): boolean {
  try {
    process.kill(hostPid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a container runs its app isolated, unprivileged, limited, reachable, and stops cleanly', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 1);
  const base = await withBaseDir((fn) => t.after(fn));

  const appDir = path.join(base, 'app');
  await mkdir(appDir);
  await chmod(base, 0o755);
  const roSource = path.join(base, 'instance-cert.pem');
  await writeFile(roSource, 'certificate for this instance\n', { mode: 0o644 });
  const resolvConf = path.join(base, 'resolv.conf');
  await writeFile(resolvConf, `nameserver ${cell.gatewayIp}\n`, { mode: 0o644 });
  const otherInstance = path.join(base, 'other-instance');
  await mkdir(otherInstance, { mode: 0o700 });
  await writeFile(path.join(otherInstance, 'instance.key'), 'not yours\n', { mode: 0o600 });
  const roTarget = path.join(base, 'creds', 'instance.crt');

  const spec: ContainerSpec = {
    id: `weft-it-${pid}-a`,
    netns: net.netns,
    command: SERVER,
    cwd: appDir,
    env: { PORT: String(PORT), HOME: appDir, LD_LIBRARY_PATH: '/nonexistent', TRICKY: "it's\n$HOME" },
    uid: APP_UID,
    gid: APP_UID,
    memoryMb: 64,
    hostname: 'instance-a',
    mounts: [
      { source: roSource, target: roTarget, readOnly: true },
      { source: resolvConf, target: '/etc/resolv.conf', readOnly: true },
    ],
  };
  const out = collectLines();
  const container: Container = await startContainer(spec, out);
  t.after(() => container.stop(0));

  await out.seen('stdout: hello on stdout');
  await out.seen('stderr: hello on stderr');

  const inContainer = async (command: string[]) =>
    output(await execInContainer(container.pid, { uid: APP_UID, gid: APP_UID, env: {}, command }));

  await t.test('the app runs as its uid with no capabilities', async () => {
    const [appPid] = (await readFile(`/proc/${container.pid}/task/${container.pid}/children`, 'utf8'))
      .trim()
      .split(' ');
    const status = await readFile(`/proc/${appPid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${APP_UID}\\s+${APP_UID}\\s+${APP_UID}\\s+${APP_UID}$`, 'm'));
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.match(status, /^CapBnd:\s+0+$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
  });

  await t.test(
    'the app gets its environment, the root processes that built the container do not',
    async () => {
      const [appPid] = (await readFile(`/proc/${container.pid}/task/${container.pid}/children`, 'utf8'))
        .trim()
        .split(' ');
      const environ = async (p: string | number) =>
        (await readFile(`/proc/${p}/environ`, 'utf8')).split('\0');
      const app = await environ(appPid ?? '');
      assert.ok(app.includes("TRICKY=it's\n$HOME"));
      assert.ok(app.includes('LD_LIBRARY_PATH=/nonexistent'));
      assert.ok(app.includes('PATH=/usr/local/bin:/usr/bin:/bin'));
      assert.ok(!app.some((e) => e.startsWith('WEFT_')));
      assert.ok(!(await environ(container.pid)).some((e) => e.startsWith('LD_') || e.startsWith('TRICKY=')));
    },
  );

  await t.test('the host reaches the app at its overlay IP', async () => {
    const got = await capture('curl', ['-sS', '-m', '2', `http://${net.ip}:${PORT}/`]);
    assert.equal(got.stdout, 'hi from instance-a', got.stderr);
  });

  await t.test('exec runs as the app user inside the container network', async () => {
    assert.equal((await inContainer(['id', '-u'])).stdout.trim(), String(APP_UID));
    assert.match(
      (await inContainer(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout,
      new RegExp(net.ip),
    );
    assert.equal((await inContainer(['hostname'])).stdout.trim(), 'instance-a');
    assert.match(
      (await inContainer(['cat', '/proc/self/cgroup'])).stdout,
      new RegExp(`/weft/${spec.id}$`, 'm'),
    );
  });

  await t.test('exec with a tty gives the command a terminal', async () => {
    const r = output(
      await execInContainer(container.pid, {
        uid: APP_UID,
        gid: APP_UID,
        env: {},
        command: ['tty'],
        tty: true,
      }),
    );
    assert.match((await r).stdout, /^\/dev\/pts\/\d+/);
  });

  await t.test('the app cannot change addresses, routes or firewall', async () => {
    for (const command of [
      ['ip', 'addr', 'add', '10.99.250.250/32', 'dev', 'eth0'],
      ['ip', 'route', 'add', '10.98.0.0/16', 'dev', 'eth0'],
      ['nft', 'add', 'table', 'inet', 'evil'],
      ['iptables', '-F'],
    ]) {
      const r = await inContainer(command);
      assert.notEqual(r.code, 0, `${command.join(' ')} succeeded`);
    }
    assert.match((await capture('ip', ['-n', net.netns, '-o', 'addr'])).stdout, /inet /);
    assert.doesNotMatch((await capture('ip', ['-n', net.netns, '-o', 'addr'])).stdout, /10\.99\.250\.250/);
  });

  await t.test("the container's /proc shows only its own processes", async () => {
    const r = await inContainer(['sh', '-c', 'ls /proc | grep -E "^[0-9]+$"']);
    const pids = r.stdout.trim().split('\n');
    assert.ok(pids.includes('1'));
    assert.ok(!pids.includes(String(process.pid)), `sees the host's test runner: ${pids.join(' ')}`);
    const init = await inContainer(['cat', '/proc/1/cmdline']);
    assert.match(init.stdout, /container-init\.sh/);
  });

  await t.test('a read-only bind mount is readable and not writable', async () => {
    assert.equal((await inContainer(['cat', roTarget])).stdout, 'certificate for this instance\n');
    assert.equal((await inContainer(['cat', '/etc/resolv.conf'])).stdout, `nameserver ${cell.gatewayIp}\n`);
    const write = await inContainer(['sh', '-c', `echo tampered > ${roTarget}`]);
    assert.notEqual(write.code, 0);
    assert.equal(await readFile(roSource, 'utf8'), 'certificate for this instance\n');
    assert.notEqual(await readFile('/etc/resolv.conf', 'utf8'), `nameserver ${cell.gatewayIp}\n`);
  });

  await t.test("another instance's key is unreadable", async () => {
    const r = await inContainer(['cat', path.join(otherInstance, 'instance.key')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
  });

  await t.test('/tmp is private to the container', async () => {
    await inContainer(['sh', '-c', 'echo mine > /tmp/weft-private']);
    assert.equal((await inContainer(['cat', '/tmp/weft-private'])).stdout, 'mine\n');
    await assert.rejects(readFile('/tmp/weft-private'), { code: 'ENOENT' });
  });

  await t.test('the memory limit applies to the app', async () => {
    assert.ok(container.memoryLimitFile, 'this host has a memory controller');
    assert.equal((await readFile(container.memoryLimitFile, 'utf8')).trim(), String(64 * 1024 * 1024));
    const cgroupOfInit = await readFile(`/proc/${container.pid}/cgroup`, 'utf8');
    assert.match(cgroupOfInit, new RegExp(`/weft/${spec.id}$`, 'm'));
  });

  await t.test('stop ends every process and removes the cgroup', async () => {
    const limitFile = container.memoryLimitFile;
    await inContainer(['sh', '-c', 'sleep 1000 >/dev/null 2>&1 &']);
    await container.stop(5000);
    // node's default SIGTERM action ends it: the app got the signal rather than the kill after the grace.
    assert.deepEqual(await container.exited, { code: 128 + 15, signal: null });
    assert.equal(alive(container.pid), false);
    assert.equal((await capture('ip', ['netns', 'pids', net.netns])).stdout, '');
    if (limitFile) await assert.rejects(readFile(limitFile), { code: 'ENOENT' });
    assert.equal((await capture('curl', ['-sS', '-m', '2', `http://${net.ip}:${PORT}/`])).code === 0, false);
  });
});

test("an app's exit status is reported", async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 2);
  const base = await withBaseDir((fn) => t.after(fn));
  const container = await startContainer(
    {
      id: `weft-it-${pid}-b`,
      netns: net.netns,
      command: 'echo bye; exit 3',
      cwd: base,
      env: {},
      uid: APP_UID,
      gid: APP_UID,
      memoryMb: 32,
      hostname: 'instance-b',
      mounts: [],
    },
    { onOutput: () => {} },
  );
  t.after(() => container.stop(0));
  assert.deepEqual(await container.exited, { code: 3, signal: null });
});

test('an app that ignores SIGTERM is killed after the grace period', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 3);
  const base = await withBaseDir((fn) => t.after(fn));
  const out = collectLines();
  const container = await startContainer(
    {
      id: `weft-it-${pid}-c`,
      netns: net.netns,
      command: "trap '' TERM; echo started; while :; do sleep 1; done",
      cwd: base,
      env: {},
      uid: APP_UID,
      gid: APP_UID,
      memoryMb: 32,
      hostname: 'instance-c',
      mounts: [],
    },
    out,
  );
  t.after(() => container.stop(0));
  await out.seen('stdout: started');
  await container.stop(200);
  assert.deepEqual(await container.exited, { code: 137, signal: null });
  assert.equal(alive(container.pid), false);
});

test('a container whose setup fails is refused with the reason and leaves no cgroup', async (t) => {
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 4);
  const base = await withBaseDir((fn) => t.after(fn));
  await assert.rejects(
    startContainer(
      {
        id: `weft-it-${pid}-d`,
        netns: net.netns,
        command: 'true',
        cwd: base,
        env: {},
        uid: APP_UID,
        gid: APP_UID,
        memoryMb: 32,
        hostname: 'instance-d',
        mounts: [{ source: path.join(base, 'missing'), target: path.join(base, 'target'), readOnly: true }],
      },
      { onOutput: () => {} },
    ),
    /failed to start.*missing/,
  );
  const mounts = cgroupMountsFromMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  for (const root of [...mounts.v2, mounts.v1Memory]) {
    if (root) assert.equal(existsSync(path.join(root, 'weft', `weft-it-${pid}-d`)), false);
  }
});
