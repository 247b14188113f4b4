// weft's small C programs (the weft-cni plugin, the spawner), compiled on first use into a cache named
// after the source's hash, so a changed source is compiled again and a stale binary is never run.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface CProgram {
  /** The binary's name, before its hash. */
  name: string;
  source: string;
  cacheDir: string;
}

/** Runs a command (run.ts's run, passed in: the spawner that run.ts drives is one of these programs). */
export type Runner = (argv: string[]) => Promise<string>;

const compiled = new Map<string, Promise<string>>();

/** The program's path, compiled now if this source never was; the same promise for the whole process. */
export function compiledProgram(program: CProgram, run: Runner): Promise<string> {
  const key = `${program.cacheDir}\0${program.source}`;
  let binary = compiled.get(key);
  if (!binary) {
    binary = compile(program, run);
    compiled.set(key, binary);
    binary.catch(() => compiled.delete(key));
  }
  return binary;
}

/** weft runs these as itself (root, on a cell): one that anyone else could have written is never run. */
function ownOnly(file: string, name: string): void {
  const { uid, mode } = statSync(file);
  if (uid !== process.getuid?.() || (mode & 0o022) !== 0) {
    throw new Error(
      `${file} is not this user's alone (owner ${uid}, mode ${(mode & 0o777).toString(8)}): refusing ${name} there`,
    );
  }
}

async function compile({ name, source, cacheDir }: CProgram, run: Runner): Promise<string> {
  const text = await readFile(source);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const binary = path.join(cacheDir, `${name}-${hash}`);
  await mkdir(cacheDir, { recursive: true, mode: 0o755 });
  ownOnly(cacheDir, name);
  if (existsSync(binary)) {
    ownOnly(binary, name);
    return binary;
  }
  // Written aside and renamed: another process compiling at the same time never runs a half-written one.
  const temp = `${binary}.${process.pid}.tmp`;
  try {
    await run(['cc', '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-o', temp, source]);
    await chmod(temp, 0o755);
    await rename(temp, binary);
  } catch (err) {
    await rm(temp, { force: true });
    throw new Error(
      `could not compile ${name} (${source}); scripts/setup installs gcc and libc6-dev: ${String(err)}`,
    );
  }
  return binary;
}
