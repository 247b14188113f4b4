import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateCa } from '../../../src/ca/index.js';

const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'weft-ca-files-'));
  dirs.push(parent);
  return join(parent, 'ca');
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

test('first start writes ca.crt and a private ca.key in a private directory', async () => {
  const dir = await freshDir();
  const ca = await loadOrCreateCa(dir);
  assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), ca.certPem);
  assert.equal((await stat(join(dir, 'ca.key'))).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
});

test('later starts load the same CA', async () => {
  const dir = await freshDir();
  const first = await loadOrCreateCa(dir);
  const second = await loadOrCreateCa(dir);
  assert.equal(second.certPem, first.certPem);
});

test('a directory holding only one of the two files is an error, not a new CA', async () => {
  const dir = await freshDir();
  await loadOrCreateCa(dir);
  await unlink(join(dir, 'ca.key'));
  await assert.rejects(loadOrCreateCa(dir), /CA files incomplete/);
});
