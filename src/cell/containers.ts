// What the cell's containers run on: the OCI runtime it probed and the stack, found or built at start.
// runtime.json tells tools on the host (tests, benchmarks) which runtime and state directory the cell uses.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { APP_OWN_DIRS, type ContainerHost } from '../runtime/container.js';
import { DEFAULT_DISK_MB } from '../runtime/container-spec.js';
import { LayerPool } from '../runtime/layer-pool.js';
import { USERNS_ROOTFS_DIR } from '../runtime/rootfs.js';
import { probeUserns, type UsernsSupport } from '../runtime/userns.js';
import {
  probeRuntime,
  type OciRuntime,
  type RuntimeName,
  type RuntimeRef,
} from '../runtime/oci/runtime-choice.js';
import { ensureStack, stacksDir, type Stack } from '../runtime/stack/stack.js';
import type { CellPaths } from './paths.js';

/** Layers kept mounted ahead: a start or two at once takes one each; a burst beyond mounts its own. */
const READY_LAYERS = 2;
/**
 * After the last start took one, once that start's own commands are done (~100 ms) and its app has had
 * the CPU to boot (~150 ms more here). A second was too long: starts one a second apart found it empty.
 */
const REFILL_DELAY_MS = 300;

export interface CellContainers {
  host: ContainerHost;
  stack: Stack;
  /** Whether each container gets a user namespace (a block of host uids) of its own. */
  userns: UsernsSupport;
}

export interface ContainerChoices {
  /** --stack-dir; else WEFT_STACK_DIR; else the machine's cache (see stack.ts). */
  stackDir?: string;
  /** --runtime; else probed. */
  runtime?: RuntimeName;
  /** --user-namespace: a user namespace for each container, where the host allows it. */
  userNamespace?: boolean;
}

export async function prepareContainers(
  paths: CellPaths,
  choices: ContainerChoices,
  progress: (line: string) => void,
  onPoolError: (err: unknown) => void,
): Promise<CellContainers> {
  const stack = await ensureStack(stacksDir(choices.stackDir), progress);
  const runtime = await probeRuntime(paths.runtimeRoot, choices.runtime);
  await writeFile(paths.runtimeFile, JSON.stringify({ name: runtime.name, root: runtime.root }), {
    mode: 0o600,
  });
  // Opt-in: runc 1.1 cannot `exec` (weft ssh) into such a container; see docs/security.md.
  const userns: UsernsSupport = choices.userNamespace
    ? await probeUserns([USERNS_ROOTFS_DIR])
    : { enabled: false, reason: 'not asked for (--user-namespace)' };
  // Without a user namespace each, a start takes its root from layers mounted ahead (the agent opens the pool).
  const layers = userns.enabled
    ? undefined
    : new LayerPool({
        dir: paths.layerPool,
        stackRootfs: stack.rootfs,
        diskMb: DEFAULT_DISK_MB,
        ownDirs: APP_OWN_DIRS,
        size: READY_LAYERS,
        refillDelayMs: REFILL_DELAY_MS,
        onError: onPoolError,
      });
  const host = { runtime, bundles: paths.bundles, stackRootfs: stack.rootfs, ...(layers ? { layers } : {}) };
  return { host, stack, userns };
}

/** How instances report their stack and `weft app` shows it: e.g. "weftlinux-bookworm 2026.11.27-1a2b3c4d". */
export function stackLabel(stack: Pick<Stack, 'name' | 'version'>): string {
  return `${stack.name} ${stack.version}`;
}

/** For the start line: e.g. "runc version 1.1.5, stack weftlinux-bookworm 2026.11.27-1a2b3c4d, a user namespace each". */
export function describeContainers(c: CellContainers): string {
  const userns = c.userns.enabled ? 'a user namespace each' : `no user namespace: ${c.userns.reason}`;
  return `${c.host.runtime.version}, stack ${stackLabel(c.stack)}, ${userns}`;
}

/** The runtime the cell on this host uses; null if no cell ran here. */
export function readCellRuntime(paths: CellPaths): RuntimeRef | null {
  try {
    const r = JSON.parse(readFileSync(paths.runtimeFile, 'utf8')) as Partial<OciRuntime>;
    if ((r.name === 'runc' || r.name === 'crun') && typeof r.root === 'string')
      return { name: r.name, root: r.root };
    return null;
  } catch {
    return null;
  }
}
