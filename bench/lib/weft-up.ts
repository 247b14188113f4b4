// A real `weft up` for the end-to-end scenarios: unique overlay (10.9X.0.0/16), nft table, link prefix,
// loopback port and WEFT_HOME, started with --cleanup and stopped with SIGTERM; a sweep afterwards removes
// whatever a crashed or hung weft left behind. Plus the few API calls the scenarios need.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packApp } from '../../src/package/pack.js';
import { readCellRuntime } from '../../src/cell/containers.js';
import { CellPaths } from '../../src/cell/paths.js';
import {
  deleteContainer,
  listContainers,
  removeContainersCgroupParent,
} from '../../src/runtime/container.js';
import { removeLeftLayers } from '../../src/runtime/layer-pool.js';
import { netnsPoolPrefix, removeLeftNetns } from '../../src/network/netns-pool.js';
import { pinnedFetch } from '../../test/helpers/pinned-fetch.js';
import { freePort } from '../../test/helpers/ports.js';
import type { Scope } from './cleanup.js';
import { daemon, sh, sleep, stderrTail, waitForLine } from './proc.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'src/main.ts');
export const HTTP_APP = path.join(ROOT, 'examples/http-app');
const STOP_DEADLINE_MS = 60_000;

export interface InstanceInfo {
  guid: string;
  index: number;
  state: string;
  ip: string | null;
}

export interface Running {
  guid: string;
  ip: string;
  /** The container's network namespace. */
  netns: string;
}

export interface WeftUp {
  home: string;
  caPath: string;
  spaceGuid: string;
  /** apps.internal */
  internalDomainGuid: string;
  api<T>(method: string, urlPath: string, body?: unknown): Promise<T>;
  /** Creates an app running examples/http-app; its GUID. */
  push(name: string, instances: number): Promise<string>;
  /** Creates the same app stopped, with its package uploaded; its GUID. */
  create(name: string, instances: number): Promise<string>;
  /** Polls until the app has one RUNNING instance with an IP. */
  waitRunning(appGuid: string): Promise<Running>;
}

export const netnsOf = (instanceGuid: string): string =>
  `weft-${instanceGuid.replaceAll('-', '').slice(0, 8)}`;

/** Cloud Foundry's wire format for one tcp policy. */
export function wirePolicy(src: string, dst: string, port: number) {
  return {
    source: { id: src },
    destination: { id: dst, protocol: 'tcp', ports: { start: port, end: port } },
  };
}

/** A /16 in 10.90–10.98 that no address or route of this host touches (10.255 is the resolver's). */
export async function freeOverlay(): Promise<string> {
  const used =
    (await sh('ip', ['-4', 'route', 'show', 'table', 'all'])) + (await sh('ip', ['-4', '-o', 'addr']));
  for (let k = 0; k < 9; k++) {
    const n = 90 + ((process.pid + k) % 9);
    if (!used.includes(`10.${n}.`)) return `10.${n}.0.0/16`;
  }
  throw new Error('no free overlay in 10.90-10.98.0.0/16');
}

/** Removes what a weft that did not clean up may have left: processes and netns, links, routes, table. */
async function sweep(overlay: string, prefix: string, table: string): Promise<void> {
  const net = overlay.split('.').slice(0, 2).join('.') + '.';
  const names = (await sh('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const ns of names.filter((n) => n.startsWith('weft-'))) {
    if (!(await sh('ip', ['-n', ns, '-4', '-o', 'addr']).catch(() => '')).includes(` ${net}`)) continue;
    for (const pid of (await sh('ip', ['netns', 'pids', ns])).split('\n').filter(Boolean))
      process.kill(Number(pid), 'SIGKILL');
    await sh('ip', ['netns', 'del', ns]);
  }
  const links = (await sh('ip', ['-o', 'link'])).split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]);
  for (const link of links.filter((l) => l?.startsWith(prefix)))
    await sh('ip', ['link', 'del', 'dev', link!]);
  for (const r of (await sh('ip', ['-4', 'route', 'show', 'proto', '87'])).split('\n')) {
    if (r.includes(net)) await sh('ip', ['route', 'del', ...r.trim().split(/\s+/)]);
  }
  await sh('nft', ['delete', 'table', 'inet', table]).catch(() => undefined);
}

export async function startWeft(scope: Scope, tag: string): Promise<WeftUp> {
  const overlay = await freeOverlay();
  // Unique per run and scenario; links are the prefix, 'c' and 8 characters, within Linux's 15.
  const suffix = `${(process.pid % 1296).toString(36).padStart(2, '0')}${tag}`;
  const prefix = `bu${suffix}`.slice(0, 6);
  const table = `wbup${suffix}`;
  // Outside /tmp: containers get a private /tmp and could not see their app or credentials there.
  const home = mkdtempSync('/var/tmp/weft-bench-');
  scope.defer(`rm ${home}`, () => rmSync(home, { recursive: true, force: true }));
  deferSweep(scope, overlay, prefix, table, home);
  const port = await freePort();
  const args = ['up', '--cleanup', '--listen', `127.0.0.1:${port}`, '--overlay', overlay];
  args.push('--table', table, '--iface-prefix', prefix);
  const child = daemon(scope, process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, WEFT_HOME: home },
  });
  deferStop(scope, child, 'weft up');
  await waitForLine(child, /weft is up/, 90_000);
  return weftApi(scope, `https://127.0.0.1:${port}`, home, child);
}

/** Undoes, after the daemons stopped, whatever a weft that did not clean up left behind. */
export function deferSweep(scope: Scope, overlay: string, prefix: string, table: string, home: string): void {
  scope.defer(`sweep ${overlay}`, async () => {
    await sweep(overlay, prefix, table);
    const cellPaths = new CellPaths(path.join(home, 'cell'));
    const runtime = readCellRuntime(cellPaths);
    if (runtime) {
      for (const id of await listContainers(runtime))
        await deleteContainer({ runtime, bundles: cellPaths.bundles }, id);
    }
    await removeLeftLayers(cellPaths.layerPool);
    await removeLeftNetns(netnsPoolPrefix(prefix));
    await removeContainersCgroupParent();
  });
}

/** SIGTERM and a generous wait: weft removes its containers, rules and links before it exits. */
export function deferStop(scope: Scope, child: ChildProcess, what: string): void {
  scope.defer(`stop ${what}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(STOP_DEADLINE_MS).then(() => 'late')])) === 'late') {
      console.error(`${what} did not stop within ${STOP_DEADLINE_MS} ms; killing it`);
      child.kill('SIGKILL');
      await exited;
    }
  });
}

/** The API calls the scenarios need, against the control plane at `url` whose WEFT_HOME is `home`. */
export async function weftApi(scope: Scope, url: string, home: string, child: ChildProcess): Promise<WeftUp> {
  const token = readFileSync(path.join(home, 'admin-token'), 'utf8').trim();
  const fetch = pinnedFetch(home);

  const api = async <T>(method: string, urlPath: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`${method} ${urlPath}: ${res.status} ${text} ${stderrTail(child).slice(-500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  const org = await api<{ guid: string }>('POST', '/v1/orgs', { name: 'bench' });
  const space = await api<{ guid: string }>('POST', '/v1/spaces', { name: 'bench', orgGuid: org.guid });
  // The benchmarks fill one space with more apps and policies than its default quota holds.
  await api('PUT', `/v1/spaces/${space.guid}/quota`, { apps: 1000, policies: 1_000_000 });
  const domains = await api<{ guid: string; name: string }[]>('GET', '/v1/domains');
  const internal = domains.find((d) => d.name === 'apps.internal');
  if (!internal) throw new Error('weft up has no apps.internal domain');

  // Every app runs the same bits: examples/http-app, packed once as `weft push` packs it.
  const packed = await packApp(HTTP_APP, { maxBytes: 64 * 1024 * 1024 });
  scope.defer('remove the packed app', () => packed.dispose());
  const create = async (name: string, instances: number): Promise<string> => {
    const app = await api<{ guid: string }>('POST', '/v1/apps', {
      name,
      spaceGuid: space.guid,
      command: 'node server.js',
      instances,
      state: 'STOPPED',
    });
    const res = await fetch(`${url}/v1/apps/${app.guid}/package`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body: readFileSync(packed.file),
    });
    if (!res.ok) throw new Error(`uploading the package of ${name}: ${res.status} ${await res.text()}`);
    return app.guid;
  };

  return {
    home,
    caPath: path.join(home, 'ca/ca.crt'),
    spaceGuid: space.guid,
    internalDomainGuid: internal.guid,
    api,
    create,
    async push(name, instances) {
      const guid = await create(name, instances);
      await api('PATCH', `/v1/apps/${guid}`, { state: 'STARTED' });
      return guid;
    },
    async waitRunning(appGuid) {
      const end = performance.now() + 120_000;
      while (performance.now() < end) {
        const [i] = await api<InstanceInfo[]>('GET', `/v1/apps/${appGuid}/instances`);
        if (i?.state === 'RUNNING' && i.ip !== null)
          return { guid: i.guid, ip: i.ip, netns: netnsOf(i.guid) };
        await sleep(100);
      }
      throw new Error(`app ${appGuid} not running within 120 s: ${stderrTail(child).slice(-1000)}`);
    },
  };
}
