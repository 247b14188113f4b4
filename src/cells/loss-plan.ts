// Pure planning of cell loss, as Diego's convergence and silk's lease expiry do it: which cells have been
// silent too long, where their instances go, which lost cells' leases are released. The store applies the
// plan with conditional updates (store/cell-sweep.ts), so two servers sweeping at once do it once.

export interface CellPresence {
  id: string;
  state: 'alive' | 'lost';
  /** Epoch ms of the last heartbeat; null for a cell that never sent one (registered by hand, or older). */
  lastSeenMs: number | null;
  /** Epoch ms the cell was declared lost; null while alive. */
  lostAtMs: number | null;
}

export interface PlacedInstance {
  guid: string;
  /** '' while the instance waits for a cell. */
  cellId: string;
  /** Started by an outside runtime on its cell: it cannot move. */
  external: boolean;
}

export interface LossTimings {
  lostAfterMs: number;
  leaseGraceMs: number;
}

/** Diego declares a cell lost after a few missed heartbeats; silk keeps a lease for minutes. */
export const DEFAULT_CELL_LOSS: LossTimings = { lostAfterMs: 10_000, leaseGraceMs: 5 * 60_000 };

export interface LossPlan {
  /** Cells to declare lost. */
  lose: string[];
  /** Instances to place elsewhere: `to` is an alive cell, or '' when none is left (they wait). */
  moves: { guid: string; from: string; to: string }[];
  /** Outside instances of cells being lost: they leave their app. */
  leave: { guid: string; from: string }[];
  /** Lost cells whose grace has run out: their lease (and registration) goes. */
  release: string[];
}

/** Whether the cell has been silent longer than allowed; a cell that never heartbeated is never lost. */
export function isSilent(cell: CellPresence, nowMs: number, lostAfterMs: number): boolean {
  return cell.state === 'alive' && cell.lastSeenMs !== null && nowMs - cell.lastSeenMs > lostAfterMs;
}

export function planCellLoss(
  cells: readonly CellPresence[],
  instances: readonly PlacedInstance[],
  nowMs: number,
  timings: LossTimings,
): LossPlan {
  const lose = cells.filter((c) => isSilent(c, nowMs, timings.lostAfterMs)).map((c) => c.id);
  const losing = new Set(lose);
  const alive = cells.filter((c) => c.state === 'alive' && !losing.has(c.id)).map((c) => c.id);
  const aliveSet = new Set(alive);
  const load = new Map(alive.map((id) => [id, 0]));
  for (const i of instances) if (aliveSet.has(i.cellId)) load.set(i.cellId, (load.get(i.cellId) ?? 0) + 1);

  const moves: LossPlan['moves'] = [];
  const leave: LossPlan['leave'] = [];
  // Waiting instances come first: they have waited longest.
  const homeless = [
    ...instances.filter((i) => i.cellId === '' && !i.external),
    ...instances.filter((i) => losing.has(i.cellId)),
  ];
  for (const i of homeless) {
    if (i.external) {
      leave.push({ guid: i.guid, from: i.cellId });
      continue;
    }
    const to = leastLoaded(load);
    if (to === '' && i.cellId === '') continue;
    if (to !== '') load.set(to, (load.get(to) ?? 0) + 1);
    moves.push({ guid: i.guid, from: i.cellId, to });
  }
  const release = cells
    .filter((c) => c.state === 'lost' && c.lostAtMs !== null && nowMs - c.lostAtMs > timings.leaseGraceMs)
    .map((c) => c.id);
  return { lose, moves, leave, release };
}

/** The alive cell with the fewest instances, by id on a tie (as placement does); '' when there is none. */
function leastLoaded(load: ReadonlyMap<string, number>): string {
  let best = '';
  let bestLoad = Infinity;
  for (const [id, n] of [...load].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n < bestLoad) {
      best = id;
      bestLoad = n;
    }
  }
  return best;
}
