// Two hosts (network namespaces joined by a veth) share one control plane: cell-1 runs it beside its
// cell, cell-2 follows it from the other host. Containers on different hosts reach each other over the
// VXLAN overlay exactly as policy says, by route name, on 8080 and on 61443.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const weft = path.join(root, 'bin/weft');
const tag = `${process.pid % 10000}`;
const hosts = [`mh${tag}a`, `mh${tag}b`];
const subnet = `172.31.${(process.pid % 200) + 20}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-multihost-'));
const homes = [path.join(work, 'h1'), path.join(work, 'h2')];
const env = { ...process.env, WEFT_CLI_CONFIG: path.join(work, 'cli.json') };
const api = `https://${subnet}.1:9090`;
const daemons: ChildProcess[] = [];

// Each "host" is a network namespace entered with nsenter, not `ip netns exec`: that one mounts a fresh /sys
// whose cgroups are not the machine's, and the cells' containers, their cgroups and the cell's own (its
// sockets' exemption) live there.
const onHost = (host: string): string[] => ['--net=/run/netns/' + host, '--'];

function startIn(host: string, home: string, args: string[], ready: string): Promise<void> {
  const child = spawn('nsenter', [...onHost(host), weft, ...args], {
    env: { ...env, WEFT_HOME: home },
  });
  daemons.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`weft ${args[0]} exited (${code}): ${err}`)));
  });
}

/** The CLI, run on a host as an operator there would: ssh needs the home of the cell running the app. */
async function cli(host: number, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('nsenter', [...onHost(hosts[host]!), weft, ...args], {
      env: { ...env, WEFT_HOME: homes[host]! },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

async function ok(host: number, ...args: string[]): Promise<string> {
  const r = await cli(host, ...args);
  assert.equal(r.code, 0, r.out);
  return r.out;
}

describe('two hosts sharing one control plane', () => {
  let callerHost = 0;

  before(async () => {
    for (const h of hosts) await run('ip', ['netns', 'add', h]);
    await run('ip', ['link', 'add', `${hosts[0]}v`, 'type', 'veth', 'peer', 'name', `${hosts[1]}v`]);
    for (const [i, h] of hosts.entries()) {
      await run('ip', ['link', 'set', `${h}v`, 'netns', h]);
      await run('ip', ['-n', h, 'addr', 'add', `${subnet}.${i + 1}/24`, 'dev', `${h}v`]);
      await run('ip', ['-n', h, 'link', 'set', `${h}v`, 'up']);
      await run('ip', ['-n', h, 'link', 'set', 'lo', 'up']);
    }
    await startIn(
      hosts[0]!,
      homes[0]!,
      [
        'up',
        '--cleanup',
        '--id',
        'cell-1',
        '--listen',
        `${subnet}.1:9090`,
        '--overlay',
        '10.96.0.0/16',
        // Both "hosts" share this machine's /run: each cell serves the CNI plugin on its own socket.
        '--cni-socket',
        path.join(homes[0]!, 'cni.sock'),
      ],
      'weft is up',
    );
    const token = fs.readFileSync(path.join(homes[0]!, 'admin-token'), 'utf8').trim();
    // What an operator hands the second host: the platform CA's certificate and a private token file.
    const caCert = path.join(homes[0]!, 'ca', 'ca.crt');
    const tokenFile = path.join(work, 'cell-2.token');
    fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    await startIn(
      hosts[1]!,
      homes[1]!,
      [
        'cell',
        '--cleanup',
        '--id',
        'cell-2',
        '--api',
        api,
        '--ca-cert',
        caCert,
        '--token-file',
        tokenFile,
        '--cni-socket',
        path.join(homes[1]!, 'cni.sock'),
      ],
      'running',
    );
    await ok(0, 'api', api, '--ca-cert', caCert);
    await ok(0, 'login', '--token', token);
    await ok(0, 'create-org', 'o');
    await ok(0, 'create-space', 's', '-o', 'o');
    await ok(0, 'target', '-o', 'o', '-s', 's');
    const app = path.join(root, 'examples/http-app');
    await ok(0, 'push', 'app-a', '-p', app, '-c', 'node server.js', '-i', '1');
    await ok(0, 'push', 'app-b', '-p', app, '-c', 'node server.js', '-i', '2');
    await ok(0, 'map-route', 'app-b', 'apps.internal', '--hostname', 'app-b');
    for (let i = 0; i < 200; i++) {
      if (/instances:\s+2\/2/.test(await ok(0, 'app', 'app-b'))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    callerHost = /cell-2/.test(await ok(0, 'app', 'app-a')) ? 1 : 0;
  });

  after(async () => {
    for (const d of daemons) d.kill('SIGTERM');
    await Promise.all(
      daemons.map((d) => new Promise((r) => (d.exitCode !== null ? r(null) : d.once('exit', r)))),
    );
    for (const h of hosts) await run('ip', ['netns', 'del', h]).catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Curls every app-b instance by its per-instance name from app-a; one line per instance. */
  async function probe(scheme: 'http' | 'https', port: number): Promise<string[]> {
    const cmd = [0, 1]
      .map(
        (i) =>
          `curl -sS -m 2 ${scheme}://${i}.app-b.apps.internal:${port} >/dev/null 2>/tmp/err; ` +
          `case $? in 0) echo ${i}:ok;; 6) echo ${i}:unresolved;; *) echo ${i}:no;; esac`,
      )
      .join('; ');
    return (await ok(callerHost, 'ssh', 'app-a', '-c', cmd))
      .trim()
      .split('\n')
      .filter((l) => /^\d:/.test(l));
  }

  test('the instances are spread over both cells', async () => {
    const out = await ok(0, 'app', 'app-b');
    assert.match(out, /10\.96\.1\./);
    assert.match(out, /10\.96\.2\./);
  });

  test('nothing crosses the overlay without a policy', async () => {
    assert.deepEqual(await probe('http', 8080), ['0:no', '1:no']);
  });

  test('a policy opens 8080 to the instances on both hosts, and 61443 needs its own', async () => {
    await ok(0, 'add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
    assert.deepEqual(await probe('http', 8080), ['0:ok', '1:ok']);
    assert.deepEqual(await probe('https', 61443), ['0:no', '1:no']);
    await ok(0, 'add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '61443');
    assert.deepEqual(await probe('https', 61443), ['0:ok', '1:ok']);
  });

  test('removing the policy closes both hosts again', async () => {
    await ok(0, 'remove-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
    assert.deepEqual(await probe('http', 8080), ['0:no', '1:no']);
  });
});
