import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { packApp } from '../../../src/package/pack.js';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-pack-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function put(relative: string, body = 'x', mode = 0o644): Promise<void> {
  const file = path.join(dir, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, body);
  await fs.chmod(file, mode);
}

/** The archive's entries: name → [type, mode]. */
async function listing(file: string): Promise<Map<string, [string, number]>> {
  const out = new Map<string, [string, number]>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      out.set(entry.header.name, [entry.header.type ?? '', entry.header.mode ?? 0]);
      entry.resume();
    }
  })();
  extract.end(zlib.gunzipSync(await fs.readFile(file)));
  await done;
  return out;
}

const LIMITS = { maxBytes: 1024 * 1024 };

test("cf's default exclusions and the app's .cfignore and .weftignore leave files out", async () => {
  await put('server.js');
  await put('.git/config');
  await put('.gitignore');
  await put('.hg/x');
  await put('.svn/x');
  await put('_darcs/x');
  await put('.DS_Store');
  await put('manifest.yml');
  await put('config/manifest.yml');
  await put('.cfignore', 'secret.txt\nlogs/\n');
  await put('.weftignore', '*.tmp\n!keep.tmp\n');
  await put('secret.txt');
  await put('logs/today.log');
  await put('scratch.tmp');
  await put('keep.tmp');
  await put('lib/deep/secret.txt');
  const packed = await packApp(dir, LIMITS);
  try {
    const names = [...(await listing(packed.file)).keys()].sort();
    assert.deepEqual(names, ['config/', 'config/manifest.yml', 'keep.tmp', 'lib/', 'lib/deep/', 'server.js']);
  } finally {
    await packed.dispose();
  }
});

test('symlinks inside stay symlinks; sockets and fifos are left out; setuid and setgid bits are dropped', async () => {
  await put('bin/run', '#!/bin/sh\n', 0o6755);
  await fs.symlink('bin/run', path.join(dir, 'start'));
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);
  const packed = await packApp(dir, LIMITS);
  try {
    const entries = await listing(packed.file);
    assert.deepEqual(entries.get('bin/run'), ['file', 0o755]);
    assert.deepEqual(entries.get('start'), ['symlink', 0o777]);
    assert.equal(entries.has('pipe'), false);
    assert.deepEqual(packed.skipped, ['pipe']);
  } finally {
    await packed.dispose();
  }
});

test('a symlink out of the app directory fails the push', async () => {
  await fs.symlink('/etc/passwd', path.join(dir, 'passwd'));
  await assert.rejects(packApp(dir, LIMITS), /symlink to \/etc\/passwd, outside the app directory/);
  await fs.rm(path.join(dir, 'passwd'));
  await fs.symlink('../..', path.join(dir, 'up'));
  await assert.rejects(packApp(dir, LIMITS), /outside the app directory/);
});

test('the same bits pack to the same digest, whatever their times; changed bits to another', async () => {
  await put('a.txt', 'one');
  const first = await packApp(dir, LIMITS);
  await first.dispose();
  await fs.utimes(path.join(dir, 'a.txt'), new Date(1000), new Date(1000));
  const again = await packApp(dir, LIMITS);
  await again.dispose();
  assert.equal(again.digest, first.digest);
  assert.match(first.digest, /^[0-9a-f]{64}$/);
  await put('a.txt', 'two');
  const changed = await packApp(dir, LIMITS);
  await changed.dispose();
  assert.notEqual(changed.digest, first.digest);
});

test('a package over the size or file-count limit fails before any upload', async () => {
  await put('big.bin', 'random'.repeat(10_000));
  await assert.rejects(packApp(dir, { maxBytes: 100 }), /larger than the platform's limit of 100 bytes/);
  await put('b.txt');
  await assert.rejects(packApp(dir, { maxBytes: 1e6, maxEntries: 1 }), /more than 1 files/);
});
