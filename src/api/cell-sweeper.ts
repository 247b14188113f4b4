// Every server sweeps for lost cells (store/cell-sweep.ts): the sweep is idempotent and safe to run on
// several servers at once, so no leader is needed.
import type { Logger } from 'pino';
import type { LossTimings } from '../cells/loss-plan.js';
import { isEmptyPlan, planSweep, sweepCells } from '../store/cell-sweep.js';
import type { Store } from '../store/store.js';

/** How often to look: a few times per --cell-lost-after, and at least once a second. */
export function sweepEveryMs(lostAfterMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(lostAfterMs / 4)));
}

export function sweepCellsRegularly(store: Store, timings: LossTimings, logger: Logger): () => void {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      // Read first: most sweeps find nothing, and then take no write lock.
      if (isEmptyPlan(await store.read((db) => planSweep(db, Date.now(), timings)))) return;
      const outcome = await store.write('system:cell-sweep', (w) => sweepCells(w, Date.now(), timings));
      for (const id of outcome.lost) logger.warn({ cell: id }, 'cell lost: no heartbeat');
      if (outcome.rescheduled > 0 || outcome.left > 0) {
        logger.info(
          { rescheduled: outcome.rescheduled, left: outcome.left },
          'instances of lost cells moved',
        );
      }
      for (const id of outcome.released) logger.info({ cell: id }, 'lease of a lost cell released');
    } catch (err) {
      logger.warn({ err }, 'the cell sweep failed');
    } finally {
      running = false;
    }
  };
  let timer: NodeJS.Timeout | null = null;
  // A server that just started (perhaps after the whole control plane was down) gives every cell one
  // full --cell-lost-after to reach it before declaring any lost.
  const first = setTimeout(() => {
    timer = setInterval(() => void sweep(), sweepEveryMs(timings.lostAfterMs));
    timer.unref();
  }, timings.lostAfterMs);
  first.unref();
  return () => {
    clearTimeout(first);
    if (timer) clearInterval(timer);
  };
}
