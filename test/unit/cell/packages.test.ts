import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { PackageCache } from '../../../src/cell/packages.js';
import { writeArchive } from '../package/archive.js';

let work: string;
let cacheDir: string;
const packages = new Map<string, Buffer>();
let fetches: string[];
let inUse: Set<string>;

async function makePackage(body: string): Promise<string> {
  const file = path.join(work, `${body}.tgz`);
  await writeArchive(file, [{ name: 'server.js', body }]);
  const bytes = await fs.readFile(file);
  const digest = createHash('sha256').update(bytes).digest('hex');
  packages.set(digest, bytes);
  return digest;
}

function cache(serve: (digest: string) => Buffer | undefined = (d) => packages.get(d)): PackageCache {
  return new PackageCache(
    cacheDir,
    (digest) => {
      fetches.push(digest);
      const bytes = serve(digest);
      return bytes ? Promise.resolve(Readable.from([bytes])) : Promise.reject(new Error('404'));
    },
    () => inUse,
    pino({ level: 'silent' }),
  );
}

beforeEach(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-cache-'));
  cacheDir = path.join(work, 'packages');
  fetches = [];
  inUse = new Set();
});

afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

test('a package is fetched once, however many instances ask at once or later', async () => {
  const digest = await makePackage('one');
  inUse.add(digest);
  const c = cache();
  const dirs = await Promise.all([c.ensure(digest), c.ensure(digest), c.ensure(digest)]);
  assert.deepEqual(new Set(dirs), new Set([path.join(cacheDir, digest)]));
  assert.equal(await c.ensure(digest), path.join(cacheDir, digest));
  assert.deepEqual(fetches, [digest]);
  assert.equal(await fs.readFile(path.join(cacheDir, digest, 'server.js'), 'utf8'), 'one');
});

test('bytes that do not hash to the digest are refused and leave nothing in the cache', async () => {
  const digest = await makePackage('real');
  const other = await makePackage('other');
  const c = cache((d) => (d === digest ? packages.get(other) : undefined));
  await assert.rejects(c.ensure(digest), /hash to [0-9a-f]{64}; refused/);
  assert.deepEqual(await fs.readdir(cacheDir), []);
});

test('a name that is not a digest is refused before any fetch', () => {
  const c = cache();
  for (const bad of ['../../etc', 'A'.repeat(64), '']) {
    assert.throws(() => c.ensure(bad), /not a package digest/);
  }
  assert.deepEqual(fetches, []);
});

test('packages no instance uses are evicted when another is unpacked', async () => {
  const old = await makePackage('old');
  const current = await makePackage('current');
  const c = cache();
  inUse = new Set([old]);
  await c.ensure(old);
  inUse = new Set([current]);
  await c.ensure(current);
  assert.deepEqual(await fs.readdir(cacheDir), [current]);
});

test('removing the cache cuts a fetch in flight short, which then leaves nothing, and refuses new ones', async () => {
  const digest = await makePackage('late');
  inUse.add(digest);
  let started: () => void = () => undefined;
  const fetching = new Promise<void>((resolve) => (started = resolve));
  const c = new PackageCache(
    cacheDir,
    // A download that would go on for minutes: only the signal ends it.
    (_digest, signal) =>
      new Promise((_resolve, reject) => {
        started();
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
    () => inUse,
    pino({ level: 'silent' }),
  );
  const loading = c.ensure(digest);
  await fetching;
  await c.removeAll();
  await assert.rejects(loading, /the package cache is closed/);
  await assert.rejects(fs.access(cacheDir));
  await assert.rejects(c.ensure(digest), /the package cache is closed/);
  await assert.rejects(fs.access(cacheDir));
});
