import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rotateIfOver } from '../../../src/runtime/log-rotation.js';

test('a log over its cap moves to FILE.1 and the writer, appending, carries on at the start', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, '0.log');
  const writer = await open(file, 'a');
  t.after(() => writer.close());
  await writer.write('x'.repeat(100));
  assert.equal(await rotateIfOver(file, 100), false);
  await writer.write('y');
  assert.equal(await rotateIfOver(file, 100), true);
  assert.equal((await stat(`${file}.1`)).size, 101);
  await writer.write('after\n');
  assert.equal(await readFile(file, 'utf8'), 'after\n');
});

test('only one rotated file is kept', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, '0.log');
  await writeFile(file, 'first'.repeat(10));
  await rotateIfOver(file, 10);
  await appendFile(file, 'second'.repeat(10));
  await rotateIfOver(file, 10);
  assert.equal(await readFile(`${file}.1`, 'utf8'), 'second'.repeat(10));
  assert.equal(await rotateIfOver(path.join(dir, 'missing.log'), 10), false);
});
