// Finds the stack in the stacks directory, building it first if this host has none yet (see recipe.ts).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../host/run.js';
import { mmdebstrapArgs, STACK_NAME, stackDirName, stackVersion } from './recipe.js';

const BUILD_SCRIPT = fileURLToPath(new URL('./build-stack.sh', import.meta.url));
export const STACK_DIR_ENV = 'WEFT_STACK_DIR';
/** The machine's cache, where scripts/setup builds the stack and every cell looks by default. */
export const DEFAULT_STACKS_DIR = '/var/cache/weft/stacks';

export interface Stack {
  name: string;
  version: string;
  /** The root filesystem: read-only to containers, the lower layer of each one's overlay. */
  rootfs: string;
}

/** --stack-dir, else WEFT_STACK_DIR, else the machine's cache. */
export function stacksDir(flag?: string): string {
  return flag ?? process.env[STACK_DIR_ENV] ?? DEFAULT_STACKS_DIR;
}

async function readStack(dir: string): Promise<Stack | null> {
  try {
    const meta = JSON.parse(await readFile(path.join(dir, 'stack.json'), 'utf8')) as Partial<Stack>;
    if (typeof meta.name !== 'string' || typeof meta.version !== 'string') return null;
    return { name: meta.name, version: meta.version, rootfs: path.join(dir, 'rootfs') };
  } catch {
    return null;
  }
}

/** The stack in `stacks`, built there (once, under a lock other builders wait on) if missing. */
export async function ensureStack(stacks: string, progress: (line: string) => void): Promise<Stack> {
  const dir = path.join(stacks, stackDirName());
  const present = await readStack(dir);
  if (present) return present;
  await mkdir(stacks, { recursive: true, mode: 0o755 });
  progress(`Building the ${STACK_NAME} stack in ${dir} (once, about 1 min)…`);
  const meta = JSON.stringify({ name: STACK_NAME, version: stackVersion(new Date()) });
  await run([
    'flock',
    path.join(stacks, `.${stackDirName()}.lock`),
    '/bin/sh',
    BUILD_SCRIPT,
    dir,
    meta,
    ...mmdebstrapArgs(path.join(`${dir}.tmp`, 'rootfs')),
  ]);
  const built = await readStack(dir);
  if (!built) throw new Error(`the stack build left no stack in ${dir}`);
  return built;
}
