// Crafts gzipped tar archives entry by entry, as an attacker would, for the extractor's tests.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export interface Crafted {
  name: string;
  type?: tar.Header['type'];
  body?: string;
  linkname?: string;
  mode?: number;
  /** Declared size, when it should differ from the body's. */
  size?: number;
}

export async function writeArchive(file: string, entries: Crafted[]): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
  for (const e of entries) {
    const body = e.body ?? '';
    const type = e.type ?? 'file';
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type,
        mode: e.mode ?? 0o644,
        linkname: e.linkname,
        size: type === 'file' ? (e.size ?? Buffer.byteLength(body)) : 0,
      };
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, body, done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await written;
}
