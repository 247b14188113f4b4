// `weft cells`: the cells, their leases, presence and load (admin).
import type { Command } from 'commander';
import type { CellStatus } from '../../contract/api.js';
import { printTable, progress, say } from '../output.js';
import { openSession } from './session.js';

export function registerCells(program: Command): void {
  program
    .command('cells')
    .description('list the cells: host, subnet lease, state, last heartbeat, instances and change-stream lag')
    .action(async () => {
      const s = openSession();
      progress(`Getting cells as ${s.user}`);
      say();
      const now = Date.now();
      printTable(
        ['cell', 'host', 'lease', 'state', 'last heartbeat', 'instances', 'change stream'],
        (await s.client.cells()).map((c) => cellRow(c, now)),
      );
    });
}

export function cellRow(c: CellStatus, nowMs: number): string[] {
  const state = c.state === 'lost' && c.lostAt !== null ? `lost ${age(c.lostAt, nowMs)}` : c.state;
  const seen = c.lastSeen === null ? 'never' : age(c.lastSeen, nowMs);
  // Placed, and what the cell itself last said it runs.
  const load = c.running === null ? `${c.instances}` : `${c.instances} (${c.running} running)`;
  // As of its last heartbeat: a write in the moment since shows as a revision or two behind.
  const stream = c.behind === null ? 'unknown' : c.behind === 0 ? 'caught up' : `${c.behind} behind`;
  return [c.id, c.hostIp, c.subnet, state, seen, load, stream];
}

/** "3s ago", "4m ago", "2h ago": how long ago `iso` was. */
function age(iso: string, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}
