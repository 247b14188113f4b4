// The control plane's memory of recent flows: a bounded ring per cell, so one noisy cell cannot push
// the others' records out. Records are numbered in arrival order for paging and following.
import type { Flow } from '../contract/flows.js';

export interface FlowFilter {
  since: number;
  limit: number;
  /** Keeps a record; scope checks (whose flows a caller may see) live here too. */
  keep: (flow: Flow) => boolean;
}

export class FlowBuffer {
  private readonly byCell = new Map<string, Flow[]>();
  private last = 0;

  constructor(
    /** Records kept per cell; older ones go first. */
    private readonly perCell: number,
    /** Cells with records kept; a cell beyond that is dropped with its oldest record. */
    private readonly maxCells = 1024,
  ) {}

  add(flows: Omit<Flow, 'seq'>[]): void {
    for (const f of flows) {
      let ring = this.byCell.get(f.cellId);
      if (ring === undefined) {
        if (this.byCell.size >= this.maxCells) this.dropOldestCell();
        ring = [];
        this.byCell.set(f.cellId, ring);
      }
      ring.push({ ...f, seq: ++this.last });
      // Trimmed in steps of a whole capacity, so a busy cell costs O(1) per record.
      if (ring.length >= this.perCell * 2) ring.splice(0, ring.length - this.perCell);
    }
  }

  /** The oldest `limit` kept records after `since`, and where to ask next. */
  after(filter: FlowFilter): { flows: Flow[]; next: number } {
    const found: Flow[] = [];
    for (const ring of this.byCell.values()) {
      const start = Math.max(firstAfter(ring, filter.since), ring.length - this.perCell);
      for (let i = start; i < ring.length; i++) {
        const f = ring[i];
        if (f !== undefined && filter.keep(f)) found.push(f);
      }
    }
    found.sort((a, b) => a.seq - b.seq);
    const flows = found.slice(0, filter.limit);
    const next = flows.length === filter.limit ? (flows.at(-1)?.seq ?? filter.since) : this.last;
    return { flows, next: Math.max(next, filter.since) };
  }

  private dropOldestCell(): void {
    let oldest: [string, number] | null = null;
    for (const [cell, ring] of this.byCell) {
      const seq = ring.at(-1)?.seq ?? 0;
      if (oldest === null || seq < oldest[1]) oldest = [cell, seq];
    }
    if (oldest) this.byCell.delete(oldest[0]);
  }
}

/** Index of the first record with seq > since (records are in seq order). */
function firstAfter(ring: Flow[], since: number): number {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ring[mid]?.seq ?? 0) <= since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
