// An instance of weft's own joins the network the one way every container does, through the weft-cni
// plugin: the cell gives it a namespace, then calls the plugin as a runtime would.
import { writeFile } from 'node:fs/promises';
import { run } from '../host/run.js';
import { invokeCni } from '../network/cni/client.js';
import { addNamedNetns, deleteNamedNetns, namedNetnsPath } from '../network/named-netns.js';
import type { NetnsPool } from '../network/netns-pool.js';
import type { LocalInstance } from './local.js';

export const CONTAINER_IFNAME = 'eth0';

function call(local: Pick<LocalInstance, 'guid' | 'netns'>, netnsPath = namedNetnsPath(local.netns)) {
  return {
    containerId: local.guid,
    netnsPath,
    ifname: CONTAINER_IFNAME,
    instanceGuid: local.guid,
  };
}

export interface InstanceNetns {
  /**
   * Where the container is created and wired: a pooled namespace's path until the first start is done
   * with it (releasePooledName), then the instance's own.
   */
  path: Promise<string>;
  /** Once the namespace has the instance's own name (/run/netns/weft-…), as tools and restarts find it. */
  named: Promise<void>;
}

/** The namespace the cell gave each of its instances, by GUID, until it is detached. */
const made = new Map<string, InstanceNetns & { own: string; pooled: string | null }>();

/**
 * The instance's namespace, empty: its container is created in it while the plugin wires it. A pooled
 * one is used at once and named for the instance meanwhile; without one ready, one is made.
 */
export function addInstanceNetns(
  local: Pick<LocalInstance, 'guid' | 'netns'>,
  pool: NetnsPool | null,
): InstanceNetns {
  const pooled = pool?.take() ?? null;
  const path = pooled === null ? addNamedNetns(local.netns) : Promise.resolve(namedNetnsPath(pooled));
  const named = pooled === null ? path.then(() => undefined) : nameNetns(pooled, local.netns);
  named.catch(() => undefined);
  const entry = { path, named, own: local.netns, pooled };
  made.set(local.guid, entry);
  return entry;
}

/** Binds the pooled namespace to the instance's own name too, as `ip netns add` would have named it. */
async function nameNetns(pooled: string, name: string): Promise<void> {
  const target = namedNetnsPath(name);
  await writeFile(target, '', { flag: 'wx', mode: 0o444 });
  await run(['mount', '--bind', namedNetnsPath(pooled), target]);
}

/**
 * Drops the pool's name of the instance's namespace once the first container's create and the plugin's
 * ADD, which were given that name, are done with it; the instance's own name is all that stays.
 */
export async function releasePooledName(guid: string): Promise<void> {
  const entry = made.get(guid);
  if (!entry?.pooled) return;
  await entry.named;
  entry.path = Promise.resolve(namedNetnsPath(entry.own));
  await deleteNamedNetns(entry.pooled);
  entry.pooled = null;
}

/** Where the instance's container is created and wired now (see InstanceNetns.path). */
export function instanceNetnsPath(local: Pick<LocalInstance, 'guid' | 'netns'>): Promise<string> {
  return made.get(local.guid)?.path ?? Promise.resolve(namedNetnsPath(local.netns));
}

/** Settles as the namespace the cell gives instance `guid` is ready, or fails to be (at once if it gives none). */
export function instanceNetnsMade(guid: string): Promise<void> {
  return made.get(guid)?.path.then(() => undefined) ?? Promise.resolve();
}

/**
 * CNI ADD; a failure leaves the namespace for the instance's stop (detachInstance) to remove. It may be
 * called as soon as addInstanceNetns is: the plugin's start then overlaps making the namespace, and the
 * cell's ADD waits for it (instanceNetnsMade).
 */
export async function wireInstance(cniSocket: string, local: LocalInstance): Promise<void> {
  await invokeCni(cniSocket, 'ADD', call(local, await instanceNetnsPath(local)));
}

/** CNI DEL, then the namespace goes, under both its names; all may be repeated. */
export async function detachInstance(
  cniSocket: string,
  local: Pick<LocalInstance, 'guid' | 'netns'>,
): Promise<void> {
  const entry = made.get(local.guid);
  await entry?.named.catch(() => undefined);
  await invokeCni(cniSocket, 'DEL', call(local));
  await deleteNamedNetns(local.netns);
  if (entry?.pooled) await deleteNamedNetns(entry.pooled);
  made.delete(local.guid);
}
