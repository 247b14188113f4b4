// The cell's cache of app packages, one directory per digest under WEFT_HOME/cell/packages, shared by
// every instance of that digest and mounted read-only at /home/vcap/app. A package is fetched from the
// control plane with the cell's token, checked against its digest before a byte of it is unpacked, then
// unpacked safely (package/extract.ts) and renamed into place, so a directory under its digest's name is
// always complete. Digests no instance on this cell uses are evicted.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { isDigest, newHash } from '../package/digest.js';
import { extractPackage } from '../package/extract.js';
import { MAX_FETCHED_PACKAGE_BYTES } from '../package/limits.js';

/** Fetches a package's bytes; `signal` aborts the download when the cache closes. */
export type FetchPackage = (digest: string, signal: AbortSignal) => Promise<Readable>;

const TEMP_PREFIX = '.partial-';

export class PackageCache {
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Aborted as the cache closes: a download in flight is cut short rather than waited out. */
  private readonly closing = new AbortController();

  constructor(
    readonly dir: string,
    private readonly fetchPackage: FetchPackage,
    /** Digests of the apps of this cell's instances. */
    private readonly inUse: () => Set<string>,
    private readonly logger: Logger,
  ) {}

  pathOf(digest: string): string {
    if (!isDigest(digest)) throw new Error(`${JSON.stringify(digest)} is not a package digest`);
    return path.join(this.dir, digest);
  }

  /** The directory holding the package's files, fetched and unpacked first if the cache lacks it. */
  ensure(digest: string): Promise<string> {
    const target = this.pathOf(digest);
    if (this.closing.signal.aborted) return Promise.reject(closedError());
    const running = this.inFlight.get(digest);
    if (running) return running;
    const done = this.load(digest, target).finally(() => this.inFlight.delete(digest));
    this.inFlight.set(digest, done);
    return done;
  }

  /** Removes cached packages no instance uses, and what an interrupted fetch left. */
  async evictUnused(): Promise<string[]> {
    const keep = this.inUse();
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const evicted: string[] = [];
    for (const name of names) {
      if (keep.has(name) || this.inFlight.has(name)) continue;
      if (name.startsWith(TEMP_PREFIX) && this.inFlight.size > 0) continue;
      await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });
      evicted.push(name);
    }
    if (evicted.length > 0) this.logger.info({ evicted }, 'evicted unused packages');
    return evicted;
  }

  /**
   * Removes the whole cache: a cell stopped with --cleanup runs nothing from it any more. A fetch still in
   * flight (an instance's start the stop overtook) is cut short and waited out first, or it would make the
   * folder again.
   */
  async removeAll(): Promise<void> {
    this.closing.abort(closedError());
    await Promise.allSettled(this.inFlight.values());
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  private async load(digest: string, target: string): Promise<string> {
    if (await isDirectory(target)) return target;
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const work = await fsp.mkdtemp(path.join(this.dir, TEMP_PREFIX));
    try {
      const archive = path.join(work, 'package.tgz');
      await this.download(digest, archive);
      this.closing.signal.throwIfAborted();
      const unpacked = path.join(work, 'app');
      await fsp.mkdir(unpacked);
      await fsp.chmod(unpacked, 0o755);
      const { entries, bytes } = await extractPackage(archive, unpacked);
      await fsp.rename(unpacked, target);
      this.logger.info({ digest, entries, bytes }, 'package unpacked');
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
    await this.evictUnused().catch((err: unknown) =>
      this.logger.warn({ err: String(err) }, 'evicting unused packages failed'),
    );
    return target;
  }

  /** Streams the package to `file`, refusing it unless its SHA-256 is `digest`. */
  private async download(digest: string, file: string): Promise<void> {
    const hash = newHash();
    let size = 0;
    const check = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        size += chunk.length;
        if (size > MAX_FETCHED_PACKAGE_BYTES) {
          callback(new Error(`package ${digest}: larger than ${MAX_FETCHED_PACKAGE_BYTES} bytes`));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    await pipeline(
      await this.fetchPackage(digest, this.closing.signal),
      check,
      fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }),
      { signal: this.closing.signal },
    );
    const got = hash.digest('hex');
    if (got !== digest) throw new Error(`package ${digest}: the bytes received hash to ${got}; refused`);
  }
}

function closedError(): Error {
  return new Error('the package cache is closed: the cell is stopping');
}

async function isDirectory(p: string): Promise<boolean> {
  const stat = await fsp.lstat(p).catch(() => null);
  return stat?.isDirectory() ?? false;
}
