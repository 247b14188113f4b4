// Two hosts on one machine for the cross-host scenarios: network namespaces joined by a veth, host 1 running
// `weft up` (control plane and cell-1), host 2 a `weft cell` (cell-2) with its own cell token, the
// containers of the two reaching each other over weft's VXLAN overlay. A second veth joins host 1 to this
// namespace, so the benchmark calls the API directly. Each daemon runs in its host's network namespace
// through nsenter, not `ip netns exec`: that one mounts a fresh /sys whose cgroups are not the machine's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scope } from './cleanup.js';
import { daemon, sh, sleep, waitForLine } from './proc.js';
import { deferStop, deferSweep, freeOverlay, weftApi } from './weft-up.js';
import type { WeftUp } from './weft-up.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(ROOT, 'src/main.ts');
const API_PORT = 9090;

export interface TwoHosts {
  weft: WeftUp;
  /** The hosts' network namespaces: host 1 runs the control plane and cell-1, host 2 runs cell-2. */
  hosts: [string, string];
}

/** A /24 for the hosts' link and one for host 1's link to here, unused by this machine. */
async function freeNets(): Promise<[string, string]> {
  const used =
    (await sh('ip', ['-4', 'route', 'show', 'table', 'all'])) + (await sh('ip', ['-4', '-o', 'addr']));
  for (let k = 0; k < 200; k++) {
    const n = 20 + ((process.pid + k) % 200);
    if (!used.includes(`172.30.${n}.`) && !used.includes(`172.29.${n}.`))
      return [`172.30.${n}`, `172.29.${n}`];
  }
  throw new Error('no free /24 in 172.29/172.30.20-219');
}

function inHost(scope: Scope, host: string, home: string, args: string[]) {
  return daemon(
    scope,
    'nsenter',
    [`--net=/run/netns/${host}`, '--', process.execPath, '--import', 'tsx', CLI, ...args],
    {
      cwd: ROOT,
      env: { ...process.env, WEFT_HOME: home },
    },
  );
}

export async function startTwoHosts(scope: Scope, tag: string): Promise<TwoHosts> {
  const suffix = `${(process.pid % 1296).toString(36).padStart(2, '0')}${tag}`;
  const hosts: [string, string] = [`wb${suffix}1`, `wb${suffix}2`];
  const [net, here] = await freeNets();
  const toHere = `wb${suffix}r`;
  // Deleting a namespace deletes the links in it and their peers; the daemons in it stopped before.
  scope.defer('remove the hosts', async () => {
    for (const h of hosts) await sh('ip', ['netns', 'del', h]).catch(() => undefined);
    await sh('ip', ['link', 'del', toHere]).catch(() => undefined);
  });
  for (const h of hosts) await sh('ip', ['netns', 'add', h]);
  await sh('ip', ['link', 'add', `${hosts[0]}v`, 'type', 'veth', 'peer', 'name', `${hosts[1]}v`]);
  for (const [i, h] of hosts.entries()) {
    await sh('ip', ['link', 'set', `${h}v`, 'netns', h]);
    await sh('ip', ['-n', h, 'addr', 'add', `${net}.${i + 1}/24`, 'dev', `${h}v`]);
    await sh('ip', ['-n', h, 'link', 'set', `${h}v`, 'up']);
    await sh('ip', ['-n', h, 'link', 'set', 'lo', 'up']);
  }
  await sh('ip', ['link', 'add', toHere, 'type', 'veth', 'peer', 'name', `${hosts[0]}r`]);
  await sh('ip', ['link', 'set', `${hosts[0]}r`, 'netns', hosts[0]]);
  await sh('ip', ['-n', hosts[0], 'addr', 'add', `${here}.1/24`, 'dev', `${hosts[0]}r`]);
  await sh('ip', ['-n', hosts[0], 'link', 'set', `${hosts[0]}r`, 'up']);
  await sh('ip', ['addr', 'add', `${here}.2/24`, 'dev', toHere]);
  await sh('ip', ['link', 'set', toHere, 'up']);

  const overlay = await freeOverlay();
  const prefix = `bx${suffix}`.slice(0, 6);
  const table = `wbx${suffix}`;
  // Outside /tmp: containers get a private /tmp and could not see their app or credentials there.
  const homes = [mkdtempSync('/var/tmp/weft-bench-'), mkdtempSync('/var/tmp/weft-bench-')] as const;
  for (const home of homes) {
    scope.defer(`rm ${home}`, () => rmSync(home, { recursive: true, force: true }));
    deferSweep(scope, overlay, prefix, table, home);
  }
  // Both hosts share this machine's /run: each cell serves the CNI plugin on its own socket.
  const own = (i: 0 | 1) => [
    '--cleanup',
    '--host-ip',
    `${net}.${i + 1}`,
    '--table',
    table,
    '--iface-prefix',
    prefix,
    '--cni-socket',
    path.join(homes[i], 'cni.sock'),
  ];
  // Listening on every address of host 1: its link to host 2 and its link to here, both in the certificate.
  const up = inHost(scope, hosts[0], homes[0], [
    'up',
    '--id',
    'cell-1',
    '--listen',
    `0.0.0.0:${API_PORT}`,
    '--overlay',
    overlay,
    ...own(0),
  ]);
  deferStop(scope, up, 'weft up on host 1');
  await waitForLine(up, /weft is up/, 90_000);
  const weft = await weftApi(scope, `https://${here}.1:${API_PORT}`, homes[0], up);

  // What an operator hands the second host: the platform CA's certificate and a cell token in a private file.
  const { token } = await weft.api<{ token: string }>('POST', '/v1/tokens', {
    name: 'cell-2',
    role: 'cell',
    cellId: 'cell-2',
  });
  const tokenFile = path.join(homes[1], 'cell.token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const cell = inHost(scope, hosts[1], homes[1], [
    'cell',
    '--id',
    'cell-2',
    '--api',
    `https://${net}.1:${API_PORT}`,
    '--ca-cert',
    weft.caPath,
    '--token-file',
    tokenFile,
    ...own(1),
  ]);
  deferStop(scope, cell, 'weft cell on host 2');
  await waitForLine(cell, /running/, 90_000);
  for (let i = 0; (await weft.api<unknown[]>('GET', '/v1/cells')).length < 2; i++) {
    if (i > 100) throw new Error('cell-2 did not register');
    await sleep(100);
  }
  return { weft, hosts };
}
