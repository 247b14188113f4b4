// The compiled weft-cni plugin against hostile input: any CNI_* values and configuration a runtime passes
// reach the cell exactly, or are refused with a CNI error, and whatever the socket answers, the plugin
// ends with 0 or 1, never a crash. Seeded: a failing run names its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cniPlugin } from '../../../src/network/cni/plugin-binary.js';
import { Fuzzer } from '../../helpers/fuzz.js';

const SEED = 20261128;
const ROUNDS = 150;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

function runPlugin(plugin: string, env: Record<string, string>, input: string | Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(plugin, [], { env, stdio: 'pipe' });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

/** A unix socket server that records each request whole and answers it with `answer()`. */
async function fakeCell(dir: string, answer: () => Buffer) {
  const socket = path.join(dir, 'cni.sock');
  const requests: Buffer[] = [];
  const server = net.createServer((c) => {
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      const got = Buffer.concat(chunks);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(got.subarray(0, end).toString('latin1'))?.[1]);
      if (got.length < end + 4 + length) return;
      requests.push(got);
      c.end(answer());
    });
    c.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

function randomText(f: Fuzzer, max: number): string {
  const pieces = ['', 'a', '&', '=', '?', '#', '%', '%00', '+', ' ', '\r\n', '"', '\\', 'é', '😀', '/', ';'];
  let s = '';
  for (let i = f.int(max); i > 0; i--) s += f.pick(pieces);
  return s;
}

test('any CNI_* values reach the cell exactly as the runtime set them, percent-encoded', async (t) => {
  const plugin = await cniPlugin();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-cni-fuzz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cell = await fakeCell(dir, () => Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n'));
  t.after(() => cell.close());
  const f = new Fuzzer(SEED);
  for (let round = 0; round < ROUNDS; round++) {
    const values = {
      CNI_CONTAINERID: randomText(f, 40),
      CNI_NETNS: randomText(f, 40),
      CNI_IFNAME: randomText(f, 10),
      CNI_ARGS: randomText(f, 60),
    };
    const config = randomText(f, 200);
    const out = await runPlugin(
      plugin,
      { CNI_COMMAND: f.pick(['ADD', 'DEL', 'CHECK', 'GC']), WEFT_CNI_SOCKET: cell.socket, ...values },
      config,
    );
    assert.deepEqual([out.code, out.signal], [0, null], `seed ${SEED} round ${round}`);
    const request = cell.requests.at(-1)!.toString('utf8');
    const end = request.indexOf('\r\n\r\n');
    const [head, body] = [request.slice(0, end), request.slice(end + 4)];
    const target = /^POST (\S+) HTTP\/1\.0\r\n/.exec(head)?.[1];
    assert.ok(target !== undefined, `round ${round}: no request line in ${JSON.stringify(head)}`);
    const query = new URL(target, 'http://weft').searchParams;
    assert.deepEqual(
      [query.get('containerid'), query.get('netns'), query.get('ifname'), query.get('args')],
      [values.CNI_CONTAINERID, values.CNI_NETNS, values.CNI_IFNAME, values.CNI_ARGS],
      `seed ${SEED} round ${round}`,
    );
    assert.equal(body, config);
  }
});

test('CNI_* values too long for a request and configurations over 1 MiB are refused with a CNI error', async () => {
  const plugin = await cniPlugin();
  const socket = '/nonexistent/cni.sock';
  const long = await runPlugin(plugin, { CNI_COMMAND: 'ADD', CNI_ARGS: '%'.repeat(30_000) }, '{}');
  assert.equal(long.code, 1);
  assert.equal((JSON.parse(long.stdout) as { code: number }).code, 4);
  const big = await runPlugin(plugin, { CNI_COMMAND: 'ADD', WEFT_CNI_SOCKET: socket }, Buffer.alloc(2 << 20));
  assert.equal(big.code, 1);
  assert.equal((JSON.parse(big.stdout) as { code: number }).code, 7);
});

test('whatever the socket answers, the plugin ends with 0 or 1 and never crashes', async (t) => {
  const plugin = await cniPlugin();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-cni-fuzz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const f = new Fuzzer(SEED + 1);
  const heads = [
    '',
    'HTTP/1.1 200 OK\r\n\r\n',
    'HTTP/1.1 400 Bad\r\n\r\n',
    'HTTP/1.',
    'HTTP/1.1 ',
    'HTTP/9 200',
  ];
  const answers: (() => Buffer)[] = [
    () => Buffer.alloc(0),
    () => Buffer.from(f.garble(`${f.pick(heads)}${randomText(f, 50)}`)),
    () => Buffer.from(Array.from({ length: f.int(300) }, () => f.int(256))),
    () => Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), Buffer.alloc(2 << 20, 0x61)]),
    () => Buffer.from(`HTTP/1.1 200 OK\r\n\r\n${'\n'.repeat(f.int(5))}`),
  ];
  let next: () => Buffer = () => Buffer.alloc(0);
  const cell = await fakeCell(dir, () => next());
  t.after(() => cell.close());
  for (let round = 0; round < ROUNDS; round++) {
    next = f.pick(answers);
    const out = await runPlugin(plugin, { CNI_COMMAND: 'ADD', WEFT_CNI_SOCKET: cell.socket }, '{}');
    assert.equal(out.signal, null, `seed ${SEED + 1} round ${round}`);
    assert.ok(out.code === 0 || out.code === 1, `seed ${SEED + 1} round ${round}: exit ${out.code}`);
  }
});
