// A cell unpacks a package it has checked by digest into a fresh directory of its own. The archive is
// still untrusted input: every entry must be a regular file, a directory or a symlink that stays inside,
// at a path without '..' or a leading '/', under directories this extraction made itself, so no entry
// can write through a symlink or over another entry. Files are root's and readable by all, never
// writable by the app; no setuid, setgid or sticky bit survives.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { MAX_PACKAGE_ENTRIES, MAX_PACKAGE_PATH, MAX_UNPACKED_BYTES } from './limits.js';
import { escapesPackage, packagePath } from './paths.js';

export class UnsafePackage extends Error {}

export interface ExtractLimits {
  maxEntries: number;
  maxBytes: number;
}

const DEFAULT_LIMITS: ExtractLimits = { maxEntries: MAX_PACKAGE_ENTRIES, maxBytes: MAX_UNPACKED_BYTES };
const WRITE_NEW =
  fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** Unpacks `archive` (gzipped tar) into `into`, an empty directory; throws UnsafePackage on a refusal. */
export async function extractPackage(
  archive: string,
  into: string,
  limits: ExtractLimits = DEFAULT_LIMITS,
): Promise<{ entries: number; bytes: number }> {
  const made = new Map<string, 'directory' | 'file' | 'symlink'>([['', 'directory']]);
  let entries = 0;
  let bytes = 0;
  const extract = tar.extract();
  const feeding = pipeline(fs.createReadStream(archive), zlib.createGunzip(), extract);
  const unpacking = (async () => {
    for await (const entry of extract) {
      const { header } = entry;
      const segments = packagePath(header.name, MAX_PACKAGE_PATH);
      if (segments === null)
        throw new UnsafePackage(`entry ${JSON.stringify(header.name)}: not a path inside the package`);
      if (++entries > limits.maxEntries) throw new UnsafePackage(`more than ${limits.maxEntries} entries`);
      bytes += header.size ?? 0;
      if (bytes > limits.maxBytes) throw new UnsafePackage(`unpacks to more than ${limits.maxBytes} bytes`);
      const relative = segments.join('/');
      const target = path.join(into, ...segments);
      if (segments.length > 0) await makeParents(into, segments, made);
      const mode = (header.mode ?? 0o644) & 0o777;
      switch (header.type) {
        case 'directory':
          if (made.get(relative) === 'directory') break;
          if (made.has(relative)) throw new UnsafePackage(`${relative}: appears twice`);
          await makeDirectory(target);
          made.set(relative, 'directory');
          break;
        case 'file': {
          if (made.has(relative)) throw new UnsafePackage(`${relative}: appears twice`);
          made.set(relative, 'file');
          const handle = await fsp.open(target, WRITE_NEW, 0o600);
          try {
            for await (const chunk of entry as AsyncIterable<Buffer>) await handle.write(chunk);
            await handle.chmod(mode & 0o111 ? 0o755 : 0o644);
          } finally {
            await handle.close();
          }
          continue;
        }
        case 'symlink': {
          const link = header.linkname ?? '';
          if (escapesPackage(relative, link))
            throw new UnsafePackage(`${relative}: a symlink out of the package (${link})`);
          if (made.has(relative)) throw new UnsafePackage(`${relative}: appears twice`);
          await fsp.symlink(link, target);
          made.set(relative, 'symlink');
          break;
        }
        default:
          throw new UnsafePackage(
            `${relative}: a ${header.type ?? 'unknown'} entry; packages hold files, directories and symlinks only`,
          );
      }
      entry.resume();
    }
  })();
  try {
    await Promise.all([feeding, unpacking]);
  } catch (err) {
    extract.destroy();
    throw err instanceof UnsafePackage
      ? err
      : new UnsafePackage(`not a readable package: ${(err as Error).message}`);
  }
  return { entries, bytes };
}

/** Creates the entry's missing parents; a parent this extraction made as anything but a directory is refused. */
async function makeParents(into: string, segments: string[], made: Map<string, string>): Promise<void> {
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join('/');
    const kind = made.get(parent);
    if (kind === 'directory') continue;
    if (kind !== undefined)
      throw new UnsafePackage(`${segments.join('/')}: under ${parent}, which is a ${kind}`);
    await makeDirectory(path.join(into, ...segments.slice(0, i)));
    made.set(parent, 'directory');
  }
}

/** Readable and searchable by the app whatever the cell's umask; only root writes. */
async function makeDirectory(dir: string): Promise<void> {
  await fsp.mkdir(dir);
  await fsp.chmod(dir, 0o755);
}
