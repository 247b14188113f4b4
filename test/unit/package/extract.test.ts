import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractPackage, UnsafePackage } from '../../../src/package/extract.js';
import { writeArchive, type Crafted } from './archive.js';

let work: string;
let archive: string;
let into: string;
let outside: string;

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-extract-'));
  archive = path.join(work, 'package.tgz');
  into = path.join(work, 'box', 'app');
  outside = path.join(work, 'box');
  await fs.mkdir(into, { recursive: true });
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function refused(entries: Crafted[], why: RegExp, limits?: { maxEntries: number; maxBytes: number }) {
  await writeArchive(archive, entries);
  await assert.rejects(extractPackage(archive, into, limits), (err: Error) => {
    assert.ok(err instanceof UnsafePackage, `${err.name}: ${err.message}`);
    assert.match(err.message, why);
    return true;
  });
  assert.deepEqual(await fs.readdir(outside), ['app'], 'nothing was written outside the directory');
}

test('a package unpacks to root-owned files readable and never writable by the app', async () => {
  await writeArchive(archive, [
    { name: 'bin/', type: 'directory', mode: 0o777 },
    { name: 'bin/run', body: '#!/bin/sh\n', mode: 0o6777 },
    { name: './lib/data.txt', body: 'data', mode: 0o666 },
    { name: 'current', type: 'symlink', linkname: 'lib/data.txt' },
  ]);
  const result = await extractPackage(archive, into);
  assert.deepEqual(result, { entries: 4, bytes: 14 });
  const mode = async (p: string) => (await fs.lstat(path.join(into, p))).mode & 0o7777;
  assert.equal(await mode('bin'), 0o755);
  assert.equal(await mode('bin/run'), 0o755, 'no setuid or setgid, no write bit for others');
  assert.equal(await mode('lib'), 0o755);
  assert.equal(await mode('lib/data.txt'), 0o644);
  assert.equal(await fs.readFile(path.join(into, 'current'), 'utf8'), 'data');
});

test('an entry with .. in its path is refused', async () => {
  await refused([{ name: '../escaped', body: 'x' }], /not a path inside/);
  await refused([{ name: 'a/../../escaped', body: 'x' }], /not a path inside/);
});

test('an absolute path is refused', async () => {
  await refused([{ name: `${outside}/escaped`, body: 'x' }], /not a path inside/);
});

test('a file written through a symlink the package planted is refused', async () => {
  await refused(
    [
      { name: 'link', type: 'symlink', linkname: '.' },
      { name: 'link/escaped', body: 'x' },
    ],
    /under link, which is a symlink/,
  );
  await refused(
    [
      { name: 'up', type: 'symlink', linkname: '..' },
      { name: 'up/escaped', body: 'x' },
    ],
    /symlink out of the package/,
  );
});

test('a symlink leading out of the package is refused', async () => {
  await refused([{ name: 'passwd', type: 'symlink', linkname: '/etc/passwd' }], /symlink out/);
  await refused([{ name: 'a/b', type: 'symlink', linkname: '../../box' }], /symlink out/);
});

test('a file that replaces an earlier entry is refused', async () => {
  await refused(
    [
      { name: 'target', type: 'symlink', linkname: 'x' },
      { name: 'target', body: 'overwrite' },
    ],
    /appears twice/,
  );
});

test('hardlinks are refused, inside or out', async () => {
  await refused([{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }], /a link entry/);
  await refused(
    [
      { name: 'a', body: 'x' },
      { name: 'b', type: 'link', linkname: 'a' },
    ],
    /a link entry/,
  );
});

test('device files and fifos are refused', async () => {
  await refused([{ name: 'null', type: 'character-device' }], /character-device/);
  await refused([{ name: 'disk', type: 'block-device' }], /block-device/);
  await refused([{ name: 'pipe', type: 'fifo' }], /fifo/);
});

test('a package past the entry or size bounds is refused', async () => {
  const many = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, body: 'x' }));
  await refused(many, /more than 4 entries/, { maxEntries: 4, maxBytes: 1000 });
  await fs.rm(into, { recursive: true });
  await fs.mkdir(into);
  await refused([{ name: 'big', body: 'x'.repeat(2000) }], /more than 1000 bytes/, {
    maxEntries: 4,
    maxBytes: 1000,
  });
});

test('bytes that are not a gzipped tar are refused', async () => {
  await fs.writeFile(archive, 'not an archive');
  await assert.rejects(extractPackage(archive, into), UnsafePackage);
});

test('a digest names the archive bytes: one changed byte is another package', async () => {
  await writeArchive(archive, [{ name: 'a', body: 'x' }]);
  const bytes = await fs.readFile(archive);
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const tampered = Buffer.from(bytes);
  tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 1;
  assert.notEqual(digest(tampered), digest(bytes));
});
