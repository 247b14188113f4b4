import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adoptContainer,
  containerCgroup,
  startContainer,
  type Container,
  type ContainerSpec,
} from '../../../src/runtime/container.js';
import { execInContainer } from '../../../src/runtime/exec.js';
import { capture, pid, withBaseDir, withCell, withContainerHost, withContainerNet } from './fixture.js';

const APP_UID = 64000 + (pid % 1000);
const PORT = 8080;
const APP_DIR = '/home/vcap/app';

// Serves HTTP on $PORT, then prints a line on each stream.
const SERVER = `node -e "
require('http')
  .createServer((q, s) => s.end('hi from ' + require('os').hostname()))
  .listen(process.env.PORT, () => { console.log('hello on stdout'); console.error('hello on stderr'); });
"`;

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

/** Resolves once `file` holds `text`. */
async function logged(file: string, text: string): Promise<void> {
  while (!(await readFile(file, 'utf8').catch(() => '')).includes(text)) await sleep(50);
}

/** Running: a zombie (ended, not yet reaped by the host's init, its parent after the runtime detached) is not. */
function alive(hostPid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${hostPid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function baseSpec(id: string, netnsPath: string, command: string): ContainerSpec {
  return {
    id,
    netnsPath,
    command,
    cwd: '/home/vcap',
    env: {},
    uid: APP_UID,
    gid: APP_UID,
    memoryMb: 32,
    diskMb: 16,
    pids: 64,
    hostname: 'instance',
    mounts: [],
    userns: null,
  };
}

test('a container runs its app isolated, unprivileged, limited, reachable, and stops cleanly', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 1);
  const base = await withBaseDir((fn) => t.after(fn));

  const appDir = path.join(base, 'app');
  await mkdir(appDir);
  await writeFile(path.join(appDir, 'server.js'), '// the app\n', { mode: 0o644 });
  await chmod(base, 0o755);
  const roSource = path.join(base, 'instance-cert.pem');
  await writeFile(roSource, 'certificate for this instance\n', { mode: 0o644 });
  const resolvConf = path.join(base, 'resolv.conf');
  await writeFile(resolvConf, `nameserver ${cell.gatewayIp}\n`, { mode: 0o644 });
  const roTarget = '/etc/cf-instance-credentials/instance.crt';
  const logFile = path.join(base, 'app.log');

  const spec: ContainerSpec = {
    ...baseSpec(`weft-it-${pid}-a`, `/run/netns/${net.netns}`, SERVER),
    cwd: APP_DIR,
    env: { PORT: String(PORT), HOME: '/home/vcap', LD_LIBRARY_PATH: '/nonexistent', TRICKY: "it's\n$HOME" },
    memoryMb: 64,
    hostname: 'instance-a',
    mounts: [
      { source: appDir, target: APP_DIR, readOnly: true },
      { source: roSource, target: roTarget, readOnly: true },
      { source: resolvConf, target: '/etc/resolv.conf', readOnly: true },
    ],
  };
  const container: Container = await startContainer(host, spec, logFile);
  t.after(() => container.stop(0));

  await logged(logFile, 'hello on stdout');
  await logged(logFile, 'hello on stderr');

  const inContainer = async (command: string[]) =>
    output(
      await execInContainer(host.runtime, spec.id, {
        uid: APP_UID,
        gid: APP_UID,
        env: {},
        command,
        cwd: '/',
      }),
    );
  const appPid = async () => {
    const children = await readFile(`/proc/${container.pid}/task/${container.pid}/children`, 'utf8');
    return children.trim().split(' ')[0] ?? '';
  };

  await t.test('the app runs as its uid with no capabilities, no new privileges and seccomp on', async () => {
    const status = await readFile(`/proc/${await appPid()}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${APP_UID}\\s+${APP_UID}\\s+${APP_UID}\\s+${APP_UID}$`, 'm'));
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.match(status, /^CapBnd:\s+0+$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^Seccomp:\s+2$/m);
    const inside = (await inContainer(['cat', '/proc/self/status'])).stdout;
    assert.match(inside, /^CapEff:\s+0+$/m);
    assert.match(inside, /^Seccomp:\s+2$/m);
  });

  await t.test('the app cannot call the kernel through the 32-bit x86 ABI (int 0x80)', async () => {
    // i386's getpid through int 0x80, from code mapped at run time: the compat syscall table is a large
    // attack surface that no 64-bit app needs, so the filter admits the native ABI only.
    const probe = [
      'import ctypes, mmap',
      'm = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)',
      "m.write(b'\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3')",
      'fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))',
      "print('native', __import__('os').getpid(), 'compat', fn(), flush=True)",
    ].join('\n');
    const got = await inContainer(['python3', '-c', probe]);
    assert.doesNotMatch(got.stdout, /compat \d+/, 'a 32-bit syscall went through');
    assert.equal(got.code, 128 + 31, `expected SIGSYS; ${got.stdout}${got.stderr}`);
  });

  await t.test('the app gets its environment, the runtime that built the container does not', async () => {
    const environ = (await readFile(`/proc/${await appPid()}/environ`, 'utf8')).split('\0');
    assert.ok(environ.includes("TRICKY=it's\n$HOME"));
    assert.ok(environ.includes('LD_LIBRARY_PATH=/nonexistent'));
    assert.ok(environ.includes('PATH=/usr/local/bin:/usr/bin:/bin'));
    assert.ok(!environ.some((e) => e.startsWith('WEFT_')));
  });

  await t.test('the host reaches the app at its overlay IP', async () => {
    const got = await capture('curl', ['-sS', '-m', '2', `http://${net.ip}:${PORT}/`]);
    assert.equal(got.stdout, 'hi from instance-a', got.stderr);
  });

  await t.test('exec runs as the app user inside the container network, hostname and cgroup', async () => {
    assert.equal((await inContainer(['id', '-u'])).stdout.trim(), String(APP_UID));
    assert.match(
      (await inContainer(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout,
      new RegExp(net.ip),
    );
    assert.equal((await inContainer(['hostname'])).stdout.trim(), 'instance-a');
    // The cgroup namespace shows the container's cgroup as the root.
    assert.match((await inContainer(['cat', '/proc/self/cgroup'])).stdout, /^0::\/$/m);
    const hostView = await readFile(`/proc/${container.pid}/cgroup`, 'utf8');
    assert.match(hostView, new RegExp(`^0::${containerCgroup(spec.id)}$`, 'm'));
  });

  await t.test('exec with a tty gives the command a terminal', async () => {
    const r = output(
      await execInContainer(host.runtime, spec.id, {
        uid: APP_UID,
        gid: APP_UID,
        env: {},
        command: ['tty'],
        tty: true,
        cwd: '/',
      }),
    );
    assert.match((await r).stdout, /^\/dev\/pts\/\d+/);
  });

  await t.test('the app cannot change addresses or routes', async () => {
    for (const command of [
      ['ip', 'addr', 'add', '10.99.250.250/32', 'dev', 'eth0'],
      ['ip', 'route', 'add', '10.98.0.0/16', 'dev', 'eth0'],
    ]) {
      const r = await inContainer(command);
      assert.notEqual(r.code, 0, `${command.join(' ')} succeeded`);
    }
    assert.doesNotMatch((await capture('ip', ['-n', net.netns, '-o', 'addr'])).stdout, /10\.99\.250\.250/);
  });

  await t.test("the container's /proc shows only its own processes", async () => {
    const r = await inContainer(['sh', '-c', 'ls /proc | grep -E "^[0-9]+$"']);
    const pids = r.stdout.trim().split('\n');
    assert.ok(pids.includes('1'));
    assert.ok(!pids.includes(String(process.pid)), `sees the host's test runner: ${pids.join(' ')}`);
    assert.match((await inContainer(['cat', '/proc/1/cmdline'])).stdout, /\/usr\/lib\/weft\/init/);
  });

  await t.test('read-only bind mounts are readable and not writable', async () => {
    assert.equal((await inContainer(['cat', roTarget])).stdout, 'certificate for this instance\n');
    assert.equal((await inContainer(['cat', '/etc/resolv.conf'])).stdout, `nameserver ${cell.gatewayIp}\n`);
    assert.equal((await inContainer(['cat', `${APP_DIR}/server.js`])).stdout, '// the app\n');
    for (const target of [roTarget, `${APP_DIR}/server.js`, `${APP_DIR}/new`]) {
      const write = await inContainer(['sh', '-c', `echo tampered > ${target}`]);
      assert.notEqual(write.code, 0, `${target} is writable`);
    }
    assert.equal(await readFile(roSource, 'utf8'), 'certificate for this instance\n');
    assert.equal(existsSync(path.join(appDir, 'new')), false);
  });

  await t.test('HOME and /tmp are writable and private to the container', async () => {
    const r = await inContainer([
      'sh',
      '-c',
      'echo mine > /tmp/weft-private && echo home > /home/vcap/f && cat /tmp/weft-private /home/vcap/f',
    ]);
    assert.equal(r.stdout, 'mine\nhome\n', r.stderr);
    await assert.rejects(readFile('/tmp/weft-private'), { code: 'ENOENT' });
    await assert.rejects(readFile('/home/vcap/f'), { code: 'ENOENT' });
  });

  await t.test('the memory and pids limits apply to the app', async () => {
    const inside = await inContainer([
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max',
    ]);
    assert.deepEqual(inside.stdout.trim().split('\n'), [String(64 * 1024 * 1024), '64'], inside.stderr);
  });

  await t.test('stop ends every process, the cgroup and the mounts', async () => {
    await inContainer(['sh', '-c', 'sleep 1000 >/dev/null 2>&1 &']);
    await container.stop(5000);
    // node's default SIGTERM action ends it: the app got the signal rather than the kill after the grace.
    assert.deepEqual(await container.exited, { code: 128 + 15, signal: null });
    assert.equal(alive(container.pid), false);
    assert.equal((await capture('ip', ['netns', 'pids', net.netns])).stdout, '');
    assert.doesNotMatch(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(spec.id));
    assert.equal(existsSync(path.join(host.bundles, spec.id)), false);
    const state = await capture(host.runtime.name, ['--root', host.runtime.root, 'state', spec.id]);
    assert.notEqual(state.code, 0);
    assert.notEqual((await capture('curl', ['-sS', '-m', '2', `http://${net.ip}:${PORT}/`])).code, 0);
  });
});

test("an app's exit status is reported", async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 2);
  const base = await withBaseDir((fn) => t.after(fn));
  const spec = baseSpec(`weft-it-${pid}-b`, `/run/netns/${net.netns}`, 'echo bye; exit 3');
  const container = await startContainer(host, spec, path.join(base, 'log'));
  t.after(() => container.stop(0));
  assert.deepEqual(await container.exited, { code: 3, signal: null });
  assert.equal(await readFile(path.join(base, 'log'), 'utf8'), 'bye\n');
});

test('an app that ignores SIGTERM is killed after the grace period', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 3);
  const base = await withBaseDir((fn) => t.after(fn));
  const log = path.join(base, 'log');
  const spec = baseSpec(
    `weft-it-${pid}-c`,
    `/run/netns/${net.netns}`,
    "trap '' TERM; echo started; while :; do sleep 1; done",
  );
  const container = await startContainer(host, spec, log);
  t.after(() => container.stop(0));
  await logged(log, 'started');
  await container.stop(200);
  assert.deepEqual(await container.exited, { code: 137, signal: null });
  assert.equal(alive(container.pid), false);
});

test('a container left running is adopted by its id, and stops', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 4);
  const base = await withBaseDir((fn) => t.after(fn));
  const log = path.join(base, 'log');
  const spec = baseSpec(`weft-it-${pid}-d`, `/run/netns/${net.netns}`, 'echo up; exec sleep 1000');
  const first = await startContainer(host, spec, log);
  t.after(() => first.stop(0));
  await logged(log, 'up');
  const adopted = await adoptContainer(host, spec.id, log);
  assert.ok(adopted);
  assert.equal(adopted.pid, first.pid);
  await adopted.stop(1000);
  assert.equal(alive(first.pid), false);
  assert.equal(await adoptContainer(host, spec.id, log), null);
});

test('a container whose setup fails is refused with the reason and leaves nothing behind', async (t) => {
  const host = await withContainerHost((fn) => t.after(fn));
  const cell = await withCell((fn) => t.after(fn));
  const net = await withContainerNet((fn) => t.after(fn), cell, 5);
  const base = await withBaseDir((fn) => t.after(fn));
  const spec = {
    ...baseSpec(`weft-it-${pid}-e`, `/run/netns/${net.netns}`, 'true'),
    mounts: [{ source: path.join(base, 'missing'), target: '/home/vcap/app', readOnly: true }],
  };
  await assert.rejects(startContainer(host, spec, path.join(base, 'log')), /missing/);
  assert.equal(existsSync(path.join(host.bundles, spec.id)), false);
  assert.doesNotMatch(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(spec.id));
});
