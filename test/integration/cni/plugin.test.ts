// The weft-cni plugin called exactly as a container runtime calls it (the real shim, CNI_* variables, the
// configuration on stdin) against the cell's CNI server wiring real namespaces on this host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { cellCniHandler } from '../../../src/cell/cni-handler.js';
import { addInstanceNetns, detachInstance } from '../../../src/cell/instance-network.js';
import { cellLinks } from '../../../src/cell/links.js';
import type { LocalInstance } from '../../../src/cell/local.js';
import { run } from '../../../src/host/run.js';
import { nthAddress } from '../../../src/network/cidr.js';
import { cniPlugin } from '../../../src/network/cni/plugin-binary.js';
import { CniCode } from '../../../src/network/cni/protocol.js';
import { CniServer } from '../../../src/network/cni/server.js';
import { addNamedNetns, deleteNamedNetns, namedNetnsPath } from '../../../src/network/named-netns.js';
import { pid, withCell } from '../runtime/fixture.js';

const GUID = `0b7c3d5e-1f2a-4b6c-8d9e-${pid.toString(16).padStart(12, '0')}`;
const CONFIG = JSON.stringify({ cniVersion: '1.0.0', name: 'weft', type: 'weft-cni' });
const CNI_PLUGIN = await cniPlugin();

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function shim(env: Record<string, string>, input = CONFIG): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(CNI_PLUGIN, [], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

async function withPlugin(t: { after: (fn: () => Promise<void>) => void }, makeNetns = true) {
  const cell = await withCell((fn) => t.after(fn));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-cni-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const links = cellLinks('wt');
  const netns = `weft-cni-${pid}`;
  const local: LocalInstance = {
    guid: GUID,
    appGuid: GUID,
    index: 0,
    ip: nthAddress(cell.subnet, 20),
    hostIface: links.container(GUID),
    netns,
    uid: 40_000,
    proxyPorts: [],
  };
  const socket = path.join(dir, 'cni.sock');
  let ready = false;
  const server = new CniServer(
    socket,
    cellCniHandler({
      gatewayIp: cell.gatewayIp,
      links,
      ownInstance: (g) => (g === GUID ? local : undefined),
      isReady: () => ready,
      outside: {
        gatewayIp: cell.gatewayIp,
        joinExternal: (app) =>
          Promise.reject(new Error(`POST /v1/cells/c/external-instances: 404 app ${app} not found`)),
        leave: () => Promise.resolve(),
        kick: () => undefined,
        instances: {
          find: () => undefined,
          findOutside: () => undefined,
          locals: () => [],
          hasOutside: () => false,
          expectOutside: () => Promise.reject(new Error('unexpected')),
          abandonOutside: () => Promise.resolve(),
          stop: () => Promise.resolve(),
        },
      },
    }),
    pino({ level: 'silent' }),
  );
  await server.listen();
  t.after(() => server.close());
  t.after(async () => {
    await run(['ip', 'link', 'del', 'dev', local.hostIface]).catch(() => '');
    await deleteNamedNetns(netns);
  });
  if (makeNetns) await addNamedNetns(netns);
  const env = (over: Record<string, string> = {}) => ({
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c0ffee',
    CNI_NETNS: `/run/netns/${netns}`,
    CNI_IFNAME: 'eth0',
    CNI_ARGS: `WEFT_INSTANCE=${GUID}`,
    CNI_PATH: path.dirname(CNI_PLUGIN),
    WEFT_CNI_SOCKET: socket,
    ...over,
  });
  return { cell, local, socket, netns, env, setReady: (r: boolean) => (ready = r) };
}

function errorCode(o: Outcome): number {
  assert.notEqual(o.code, 0, `expected a failure: ${o.stdout}`);
  return (JSON.parse(o.stdout) as { code: number }).code;
}

test('ADD wires the namespace, CHECK passes, CHECK fails once a route is deleted behind its back, DEL twice succeeds', async (t) => {
  const p = await withPlugin(t);
  const add = await shim(p.env());
  assert.equal(add.code, 0, add.stderr);
  const result = JSON.parse(add.stdout) as { ips: { address: string }[]; interfaces: { name: string }[] };
  assert.deepEqual(
    result.ips.map((i) => i.address),
    [`${p.local.ip}/32`],
  );
  assert.equal(result.interfaces[0]?.name, p.local.hostIface);
  assert.match(
    await run(['ip', '-n', p.netns, '-o', 'addr', 'show', 'dev', 'eth0']),
    new RegExp(`${p.local.ip}/32`),
  );

  assert.equal((await shim(p.env({ CNI_COMMAND: 'CHECK' }))).code, 0);
  await run(['ip', 'route', 'del', `${p.local.ip}/32`, 'dev', p.local.hostIface]);
  const drifted = await shim(p.env({ CNI_COMMAND: 'CHECK' }));
  assert.equal(errorCode(drifted), 100);
  assert.match(drifted.stdout, /host route/);
  await run(['ip', '-n', p.netns, 'route', 'del', 'default']);
  assert.match((await shim(p.env({ CNI_COMMAND: 'CHECK' }))).stdout, /default route/);

  const del = await shim(p.env({ CNI_COMMAND: 'DEL' }));
  assert.equal(del.code, 0, del.stdout);
  assert.equal(del.stdout, '');
  assert.notEqual((await shim(p.env({ CNI_COMMAND: 'CHECK' }))).code, 0);
  assert.equal((await shim(p.env({ CNI_COMMAND: 'DEL' }))).code, 0);
  assert.equal((await shim(p.env({ CNI_COMMAND: 'DEL', CNI_NETNS: '' }))).code, 0);
  assert.equal((await run(['ip', 'route', 'show', `${p.local.ip}/32`])).trim(), '');
});

test("ADD's result lists the MACs both ends hold, and CHECK fails once the container's MAC is changed", async (t) => {
  const p = await withPlugin(t);
  const add = await shim(p.env());
  assert.equal(add.code, 0, add.stderr);
  const listed = (JSON.parse(add.stdout) as { interfaces: { name: string; mac: string }[] }).interfaces;
  const mac = (out: string) => (JSON.parse(out) as { address: string }[])[0]?.address;
  const held = [
    mac(await run(['ip', '-j', 'link', 'show', 'dev', p.local.hostIface])),
    mac(await run(['ip', '-n', p.netns, '-j', 'link', 'show', 'dev', 'eth0'])),
  ];
  assert.deepEqual(
    listed.map((i) => i.mac),
    held,
  );

  await run(['ip', '-n', p.netns, 'link', 'set', 'dev', 'eth0', 'address', '0a:58:00:00:00:01']);
  const drifted = await shim(p.env({ CNI_COMMAND: 'CHECK' }));
  assert.equal(errorCode(drifted), 100);
  assert.match(drifted.stdout, /eth0 has MAC 0a:58:00:00:00:01/);
});

test('a second ADD is refused and leaves the first wiring intact', async (t) => {
  const p = await withPlugin(t);
  assert.equal((await shim(p.env())).code, 0);
  assert.equal(errorCode(await shim(p.env())), 5);
  assert.equal((await shim(p.env({ CNI_COMMAND: 'CHECK' }))).code, 0);
});

test('hostile CNI variables and configurations are refused with CNI codes, and nothing runs or is wired', async (t) => {
  const p = await withPlugin(t);
  const marker = path.join(path.dirname(p.socket), 'pwned');
  const cases: [Record<string, string>, string | undefined, number][] = [
    [{ CNI_CONTAINERID: `$(touch ${marker})` }, undefined, 4],
    [{ CNI_CONTAINERID: `x;touch ${marker}` }, undefined, 4],
    [{ CNI_IFNAME: `eth0\`touch ${marker}\`` }, undefined, 4],
    [{ CNI_NETNS: `/run/netns/${p.netns}\nlink del dev lo` }, undefined, 4],
    [{ CNI_NETNS: '/proc/self/ns/net' }, undefined, 5],
    [{ CNI_ARGS: `WEFT_INSTANCE=${GUID}&command=DEL` }, undefined, 4],
    [{ CNI_ARGS: 'WEFT_INSTANCE=11111111-2222-4333-8444-555555555555' }, undefined, 3],
    [{ CNI_COMMAND: 'add' }, undefined, 4],
    [{}, '{"cniVersion":"0.3.1","name":"weft","type":"weft-cni"}', 1],
    [{}, '{"cniVersion":"1.0.0","name":"weft","type":"weft-cni","ipam":{"type":"host-local"}}', 2],
    [{}, 'x'.repeat(100_000), 6],
    [{}, JSON.stringify({ cniVersion: '1.0.0', name: 'weft-x', type: 'weft-cni', app: GUID }), 7],
  ];
  for (const [over, input, code] of cases) {
    const o = await shim(p.env(over), input);
    assert.equal(errorCode(o), code, `${JSON.stringify(over)} ${input?.slice(0, 80) ?? ''}: ${o.stdout}`);
  }
  const hostNs = await shim(p.env({ CNI_NETNS: '/proc/self/ns/net' }));
  assert.match(hostNs.stdout, /host's own namespace/);
  assert.equal(existsSync(marker), false);
  assert.equal(await run(['ip', '-j', 'link', 'show', 'dev', p.local.hostIface]).catch(() => null), null);
});

test('only root reaches the socket; an unreachable agent is "try again later" (code 11); VERSION needs no agent', async (t) => {
  const p = await withPlugin(t);
  assert.equal(statSync(p.socket).mode & 0o777, 0o600);
  const down = await shim(p.env({ WEFT_CNI_SOCKET: '/nonexistent/cni.sock' }));
  assert.equal(errorCode(down), 11);
  const version = await shim({ CNI_COMMAND: 'VERSION', WEFT_CNI_SOCKET: '/nonexistent/cni.sock' });
  assert.equal(version.code, 0);
  assert.deepEqual(JSON.parse(version.stdout), {
    cniVersion: '1.0.0',
    supportedVersions: ['1.0.0', '1.1.0'],
  });
  const nobody = await new Promise<Outcome>((resolve) => {
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', CNI_PLUGIN], {
      env: { PATH: process.env.PATH ?? '', ...p.env() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    child.stdin.end(CONFIG);
  });
  assert.equal(errorCode(nobody), 11);
  assert.equal(await run(['ip', '-j', 'link', 'show', 'dev', p.local.hostIface]).catch(() => null), null);
});

test('STATUS (CNI 1.1) answers whether the cell takes ADDs: code 50 while it starts or when its agent is down', async (t) => {
  const p = await withPlugin(t);
  const config = JSON.stringify({ cniVersion: '1.1.0', name: 'weft', type: 'weft-cni' });
  const status = (over: Record<string, string> = {}) =>
    shim(
      { CNI_COMMAND: 'STATUS', CNI_PATH: path.dirname(CNI_PLUGIN), WEFT_CNI_SOCKET: p.socket, ...over },
      config,
    );
  assert.equal(errorCode(await status()), 50);
  p.setReady(true);
  const ok = await status();
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(ok.stdout, '');
  assert.equal(errorCode(await status({ WEFT_CNI_SOCKET: '/nonexistent/cni.sock' })), 50);
});

test('GC (CNI 1.1) keeps the listed attachments and refuses a malformed list', async (t) => {
  const p = await withPlugin(t);
  p.setReady(true);
  const gc = (valid: unknown) =>
    shim(
      { CNI_COMMAND: 'GC', CNI_PATH: path.dirname(CNI_PLUGIN), WEFT_CNI_SOCKET: p.socket },
      JSON.stringify({
        cniVersion: '1.1.0',
        name: 'weft',
        type: 'weft-cni',
        'cni.dev/valid-attachments': valid,
      }),
    );
  const fine = await gc([{ containerID: 'c0ffee', ifname: 'eth0' }]);
  assert.equal(fine.code, 0, fine.stdout);
  assert.equal(errorCode(await gc([{ containerID: '../x', ifname: 'eth0' }])), 7);
  assert.equal(errorCode(await gc('all')), 7);
});

// detachInstance, as the instance's stop runs it, also ends the cell's note of the namespace it made.
test("the cell's ADD for its own instance waits for the namespace the cell is still making", async (t) => {
  const p = await withPlugin(t, false);
  try {
    // The plugin starts first, as the cell starts it; the namespace is made meanwhile.
    const [add] = await Promise.all([shim(p.env()), addInstanceNetns(p.local, null).path]);
    assert.equal(add.code, 0, add.stdout);
    assert.equal((await shim(p.env({ CNI_COMMAND: 'CHECK' }))).code, 0);
  } finally {
    await detachInstance(p.socket, p.local);
  }
});

test("the cell's ADD for its own instance fails as making its namespace fails, and wires nothing", async (t) => {
  const p = await withPlugin(t, false);
  // A plain file where the namespace goes: `ip netns add` refuses it.
  const squatter = namedNetnsPath(p.netns);
  await writeFile(squatter, '');
  try {
    const [add, made] = await Promise.all([
      shim(p.env()),
      addInstanceNetns(p.local, null).path.then(
        () => null,
        (err: unknown) => err,
      ),
    ]);
    assert.ok(made instanceof Error);
    assert.equal(errorCode(add), CniCode.io);
    assert.match(add.stdout, /ip netns add/);
    await assert.rejects(run(['ip', 'link', 'show', 'dev', p.local.hostIface]));
  } finally {
    await rm(squatter, { force: true });
    await detachInstance(p.socket, p.local);
  }
});
