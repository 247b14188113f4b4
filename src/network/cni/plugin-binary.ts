// The weft-cni plugin is a small C program (weft-cni.c beside this file), compiled on first use into a
// cache named after its source's hash, so a changed source is compiled again and a stale binary is never
// run. Root's cache, as the stack's: the plugin runs as root under every runtime.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../host/run.js';

export const PLUGIN_SOURCE = path.join(import.meta.dirname, 'weft-cni.c');
export const PLUGIN_CACHE_ENV = 'WEFT_CNI_CACHE';
const DEFAULT_CACHE = '/var/cache/weft/cni';

let compiled: Promise<string> | null = null;

/** The plugin's path, compiled now if this source never was; the same promise for the whole process. */
export function cniPlugin(): Promise<string> {
  compiled ??= compile().catch((err: unknown) => {
    compiled = null;
    throw err;
  });
  return compiled;
}

function rootsOnly(file: string): void {
  const { uid, mode } = statSync(file);
  if (uid !== 0 || (mode & 0o022) !== 0) {
    throw new Error(
      `${file} is not root's alone (owner ${uid}, mode ${(mode & 0o777).toString(8)}): refusing the weft-cni plugin there`,
    );
  }
}

async function compile(): Promise<string> {
  const source = await readFile(PLUGIN_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = process.env[PLUGIN_CACHE_ENV] ?? DEFAULT_CACHE;
  const binary = path.join(dir, `weft-cni-${hash}`);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  // Every runtime runs the plugin as root: one that anyone but root could have written is never run.
  rootsOnly(dir);
  if (existsSync(binary)) {
    rootsOnly(binary);
    return binary;
  }
  // Written aside and renamed: another process compiling at the same time never runs a half-written one.
  const temp = `${binary}.${process.pid}.tmp`;
  try {
    await run(['cc', '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', temp, PLUGIN_SOURCE]);
    await chmod(temp, 0o755);
    await rename(temp, binary);
  } catch (err) {
    await rm(temp, { force: true });
    throw new Error(
      `could not compile the weft-cni plugin (${PLUGIN_SOURCE}); scripts/setup installs gcc and libc6-dev: ${String(err)}`,
    );
  }
  return binary;
}
