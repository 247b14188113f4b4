import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyFiles } from './config.js';

/** A private directory for one proxy's configuration, keys, maps and runtime socket. */
export async function proxyDirectory(): Promise<ProxyFiles & { dir: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-haproxy-'));
  await chmod(dir, 0o700);
  await mkdir(join(dir, 'certs'), { mode: 0o700 });
  return {
    dir,
    config: join(dir, 'haproxy.cfg'),
    socket: join(dir, 'admin.sock'),
    clientCa: join(dir, 'client-ca.pem'),
    mtlsMap: join(dir, 'mtls.map'),
    certificate: (group) => join(dir, 'certs', `g${group}.pem`),
    callers: (group) => join(dir, 'certs', `g${group}.callers`),
  };
}

/** Writes a file only its owner may read: certificates here carry their private keys. */
export function writePrivate(path: string, text: string): Promise<void> {
  return writeFile(path, text, { mode: 0o600 });
}

export function removeDirectory(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
