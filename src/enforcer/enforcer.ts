// Keeps weft's nft table in line with the desired state: one full atomic build, then element deltas, and a
// conntrack sweep whenever something that was allowed may no longer be.
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { deleteFlows, listFlows } from './conntrack.js';
import { validateDesired } from './desired.js';
import type { EnforcerDesired } from './desired.js';
import type { EnforcerElements } from './elements.js';
import { changesMayEndFlows, flowGroups, flowsToEnd } from './flows.js';
import { applyNftScript, deleteNftTable, listNftElements } from './nft.js';
import {
  capacitiesFor,
  deltaScript,
  diffRendered,
  outgrows,
  planRuleset,
  planStagedBuild,
  renderState,
  structuralChange,
  type RenderedState,
  type SetCapacities,
} from './plan.js';

/** Below this many elements per nft process, a staged build costs more in process starts than it saves. */
const ELEMENTS_PER_STAGE = 20_000;

export type EnforcerLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

export interface EnforcerOptions {
  table: string;
  logger?: EnforcerLogger;
}

export class Enforcer {
  readonly table: string;
  readonly #logger: EnforcerLogger | undefined;
  /** What the kernel holds, as far as we know; null until the first full build succeeds. */
  #applied: { desired: EnforcerDesired; rendered: RenderedState; capacities: SetCapacities } | null = null;
  /** A sweep that failed is retried on the next apply, even when the table needs no change. */
  #sweepPending = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: EnforcerOptions) {
    this.table = opts.table;
    this.#logger = opts.logger;
  }

  /** Makes the kernel enforce `desired`. Calls run one at a time, in order. */
  apply(desired: EnforcerDesired): Promise<void> {
    return this.#serialize(() => this.#apply(desired));
  }

  /** Deletes the table: the cell stops enforcing. */
  remove(): Promise<void> {
    return this.#serialize(async () => {
      await deleteNftTable(this.table);
      this.#applied = null;
    });
  }

  /** Reads back what the kernel's sets and maps hold. */
  listElements(): Promise<EnforcerElements> {
    return listNftElements(this.table);
  }

  #serialize(task: () => Promise<void>): Promise<void> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #apply(next: EnforcerDesired): Promise<void> {
    validateDesired(next);
    if (next.table !== this.table) {
      throw new Error(`desired state names table '${next.table}', this enforcer owns '${this.table}'`);
    }
    // Rendered once per apply; the previous rendering is kept, so a delta costs one pass over `next`.
    const rendered = renderState(next);
    const prev = this.#applied;
    let mayEnd = true;
    if (prev === null || structuralChange(prev.desired, next) || outgrows(rendered, prev.capacities)) {
      await this.#build(next, rendered, prev === null);
    } else {
      const changes = diffRendered(prev.rendered, rendered);
      mayEnd = changesMayEndFlows(changes);
      await this.#applyDelta(deltaScript(this.table, changes), next, rendered);
    }
    this.#applied = { desired: next, rendered, capacities: capacitiesFor(rendered) };
    if (this.#sweepPending || mayEnd) {
      this.#sweepPending = true;
      await this.#endDisallowedFlows(next);
      this.#sweepPending = false;
    }
  }

  /** Builds the whole table, staged on several cores when it does not exist yet and is large. */
  async #build(next: EnforcerDesired, rendered: RenderedState, mayBeAbsent: boolean): Promise<void> {
    const elements = Object.values(rendered).reduce((n, set) => n + set.size, 0);
    const parts = Math.min(availableParallelism(), Math.floor(elements / ELEMENTS_PER_STAGE));
    const staged = mayBeAbsent && parts > 1 && (await this.#buildStaged(next, rendered, parts));
    if (!staged) await applyNftScript(planRuleset(next, rendered));
    this.#logger?.info({ table: this.table, elements, stages: staged ? parts : 1 }, 'enforcer: table built');
  }

  /** False when the table exists already (it must then be replaced atomically instead). */
  async #buildStaged(next: EnforcerDesired, rendered: RenderedState, parts: number): Promise<boolean> {
    const staged = planStagedBuild(next, rendered, parts);
    try {
      await applyNftScript(staged.create);
    } catch {
      return false;
    }
    try {
      await Promise.all(staged.elements.map((script) => applyNftScript(script)));
      await applyNftScript(staged.chains);
    } catch (err) {
      // Half a table would never take effect (it has no hooks yet), but it must not stay behind.
      await deleteNftTable(this.table).catch(() => undefined);
      throw err;
    }
    return true;
  }

  async #applyDelta(delta: string | null, next: EnforcerDesired, rendered: RenderedState): Promise<void> {
    if (delta === null) return;
    try {
      await applyNftScript(delta);
    } catch (err) {
      // The table was changed behind our back (deleted, edited): rebuild it whole, still atomically.
      this.#logger?.warn({ table: this.table, err }, 'enforcer: delta failed, rebuilding table');
      await applyNftScript(planRuleset(next, rendered));
    }
    this.#logger?.debug({ table: this.table }, 'enforcer: delta applied');
  }

  async #endDisallowedFlows(desired: EnforcerDesired): Promise<void> {
    const doomed = flowsToEnd(await listFlows(), desired);
    await Promise.all(flowGroups(doomed).map((group) => deleteFlows(group)));
    if (doomed.length > 0)
      this.#logger?.info({ table: this.table, flows: doomed.length }, 'enforcer: flows ended');
  }
}
