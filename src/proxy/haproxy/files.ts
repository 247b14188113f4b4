import { writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyFiles } from './config.js';

/**
 * A private directory for one proxy's configuration, keys, maps and runtime socket: `at`, emptied of what
 * an earlier process left there, or a fresh temporary one.
 */
export async function proxyDirectory(at?: string): Promise<ProxyFiles & { dir: string; config: string }> {
  if (at !== undefined) {
    await rm(at, { recursive: true, force: true });
    await mkdir(at, { recursive: true, mode: 0o700 });
  }
  const dir = at ?? (await mkdtemp(join(tmpdir(), 'weft-haproxy-')));
  await chmod(dir, 0o700);
  await mkdir(join(dir, 'certs'), { mode: 0o700 });
  return {
    dir,
    config: join(dir, 'haproxy.cfg'),
    socket: join(dir, 'admin.sock'),
    clientCa: join(dir, 'client-ca.pem'),
    mtlsMap: join(dir, 'mtls.map'),
    certificate: (group) => join(dir, 'certs', `g${group}.pem`),
    crtList: (group) => join(dir, 'certs', `g${group}.crtlist`),
    callers: (group) => join(dir, 'certs', `g${group}.callers`),
  };
}

/**
 * Writes a file only its owner may read: certificates here carry their private keys. In place: these are
 * a few KiB each, and through the thread pool each waited behind whatever else a busy cell queued there,
 * on the path of every start, map-route and policy change.
 */
export function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

export function removeDirectory(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
