// The parent's side of bench/child/cell-followers.ts: creates a cell token per simulated cell, spreads the
// cells over a few processes, and tells when every cell has received a given policy.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../../test/helpers/control-plane.js';
import type { Scope } from './cleanup.js';
import { daemon, stderrTail, tempDir, waitForLine } from './proc.js';

const ENTRY = fileURLToPath(new URL('../child/cell-followers.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WAIT_MS = 30_000;

export interface SimulatedCells {
  /** Resolves with every cell's receive time (wall clock, ms) of the policy whose key ends in `suffix`. */
  received(suffix: string): Promise<number[]>;
}

export async function startSimulatedCells(
  scope: Scope,
  server: TestServer,
  count: number,
  processes: number,
): Promise<SimulatedCells> {
  const cells: { id: string; token: string; hostIp: string }[] = [];
  for (let i = 0; i < count; i++) {
    const id = `sim-${i}`;
    const reply = await server.api<{ token: string }>('POST', '/v1/tokens', {
      name: id,
      role: 'cell',
      cellId: id,
    });
    if (reply.status !== 200 && reply.status !== 201) throw new Error(`cell token ${id}: ${reply.status}`);
    // TEST-NET-2: never routed, and outside the overlay as registration requires.
    cells.push({ id, token: reply.body.token, hostIp: `198.51.100.${(i % 250) + 1}` });
  }
  const dir = tempDir(scope, 'weft-sim-cells-');
  const times = new Map<string, number[]>();
  const waiters: { suffix: string; wake: () => void }[] = [];
  const onLine = (line: string): void => {
    const m = JSON.parse(line) as { key?: string; t?: number };
    if (m.key === undefined || m.t === undefined) return;
    const list = times.get(m.key) ?? [];
    list.push(m.t);
    times.set(m.key, list);
    for (const w of waiters.filter((x) => m.key!.endsWith(x.suffix))) w.wake();
  };
  const children = Array.from({ length: processes }, (_, p) => {
    const file = path.join(dir, `cells-${p}.json`);
    writeFileSync(file, JSON.stringify(cells.filter((_, i) => i % processes === p)));
    return daemon(scope, process.execPath, ['--import', 'tsx', ENTRY, server.url, server.caFile, file], {
      cwd: ROOT,
    });
  });
  await Promise.all(children.map((c) => waitForLine(c, /"ready":true/, 120_000)));
  for (const c of children) createInterface({ input: c.stdout! }).on('line', onLine);

  const timesOf = (suffix: string): number[] =>
    [...times.entries()].filter(([k]) => k.endsWith(suffix)).flatMap(([, t]) => t);
  return {
    received(suffix) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const tails = children.map(stderrTail).join('\n');
          reject(new Error(`${timesOf(suffix).length}/${count} cells had ${suffix} after 30 s ${tails}`));
        }, WAIT_MS);
        const waiter = {
          suffix,
          wake: () => {
            if (timesOf(suffix).length < count) return;
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(waiter), 1);
            resolve(timesOf(suffix));
          },
        };
        waiters.push(waiter);
        waiter.wake();
      });
    },
  };
}
