// `weft push` packs an app directory into a package: a gzipped tar of its regular files, directories and
// symlinks, with the exclusions of ignore-rules.ts. Owners, times and setuid/setgid bits are left out, so
// the same bits always make the same archive and so the same digest: pushing them again changes nothing.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { newHash } from './digest.js';
import { exclusions, type Excluded } from './ignore-rules.js';
import { MAX_PACKAGE_ENTRIES } from './limits.js';
import { escapesPackage } from './paths.js';

export interface PackedApp {
  /** The archive, in a directory of its own that `dispose` removes. */
  file: string;
  digest: string;
  size: number;
  entries: number;
  /** Sockets, fifos and devices left out. */
  skipped: string[];
  dispose: () => Promise<void>;
}

interface Entry {
  relative: string;
  absolute: string;
  kind: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  target: string;
}

const EPOCH = new Date(0);

export async function packApp(
  appDir: string,
  limits: { maxBytes: number; maxEntries?: number },
): Promise<PackedApp> {
  const root = await fs.promises.realpath(appDir);
  if (!(await fsp.stat(root)).isDirectory()) throw new Error(`${appDir} is not a directory`);
  const excluded = exclusions(await ignoreFiles(root));
  const skipped: string[] = [];
  const entries = await walk(root, '', excluded, skipped, limits.maxEntries ?? MAX_PACKAGE_ENTRIES);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'weft-package-'));
  const dispose = () => fsp.rm(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, 'package.tgz');
    const { digest, size } = await writeArchive(entries, file, limits.maxBytes);
    return { file, digest, size, entries: entries.length, skipped, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

async function ignoreFiles(root: string): Promise<string[]> {
  const texts: string[] = [];
  for (const name of ['.cfignore', '.weftignore']) {
    const text = await fsp.readFile(path.join(root, name), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (text !== null) texts.push(text);
  }
  return texts;
}

async function walk(
  root: string,
  under: string,
  excluded: Excluded,
  skipped: string[],
  maxEntries: number,
  out: Entry[] = [],
): Promise<Entry[]> {
  const names = (await fsp.readdir(path.join(root, under))).sort();
  for (const name of names) {
    const relative = under === '' ? name : `${under}/${name}`;
    const absolute = path.join(root, relative);
    const stat = await fsp.lstat(absolute);
    if (excluded(relative, stat.isDirectory())) continue;
    if (!stat.isFile() && !stat.isDirectory() && !stat.isSymbolicLink()) {
      skipped.push(relative);
      continue;
    }
    if (out.length >= maxEntries) {
      throw new Error(
        `the app directory holds more than ${maxEntries} files; list what to leave out in .cfignore`,
      );
    }
    const mode = stat.mode & 0o777;
    if (stat.isSymbolicLink()) {
      const target = await fsp.readlink(absolute);
      if (escapesPackage(relative, target)) {
        throw new Error(`${relative} is a symlink to ${target}, outside the app directory`);
      }
      out.push({ relative, absolute, kind: 'symlink', mode, size: 0, target });
    } else if (stat.isDirectory()) {
      out.push({ relative, absolute, kind: 'directory', mode, size: 0, target: '' });
      await walk(root, relative, excluded, skipped, maxEntries, out);
    } else {
      out.push({ relative, absolute, kind: 'file', mode, size: stat.size, target: '' });
    }
  }
  return out;
}

async function writeArchive(
  entries: Entry[],
  file: string,
  maxBytes: number,
): Promise<{ digest: string; size: number }> {
  const hash = newHash();
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(new Error(`the package is larger than the platform's limit of ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const pack = tar.pack();
  const written = pipeline(
    pack,
    zlib.createGzip(),
    measure,
    fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }),
  );
  const adding = (async () => {
    for (const e of entries) await addEntry(pack, e);
    pack.finalize();
  })();
  await Promise.all([written, adding]);
  return { digest: hash.digest('hex'), size };
}

async function addEntry(pack: tar.Pack, e: Entry): Promise<void> {
  const common = { mode: e.mode, mtime: EPOCH, uid: 0, gid: 0 };
  if (e.kind !== 'file') {
    const header =
      e.kind === 'directory'
        ? { ...common, name: `${e.relative}/`, type: 'directory' as const }
        : { ...common, name: e.relative, type: 'symlink' as const, linkname: e.target };
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ ...common, name: e.relative, type: 'file', size: e.size }, (err) =>
      err ? reject(err) : resolve(),
    );
    // tar-stream's entry is a streamx stream: piped into, it calls back once the entry is whole.
    fs.createReadStream(e.absolute).on('error', reject).pipe(sink);
  });
}
