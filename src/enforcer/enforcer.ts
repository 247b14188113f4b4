// Keeps weft's nft table in line with the desired state: one full build (staged across cores when the table
// is new and large, else one atomic transaction), then element deltas, and a conntrack sweep whenever
// something that was allowed may no longer be.
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { deleteFlows, listFlows } from './conntrack.js';
import { validateDesired } from './desired.js';
import type { EnforcerDesired } from './desired.js';
import { elementsOf, indexRendered, renderTexts } from './elements.js';
import type { EnforcerElements } from './elements.js';
import { changesMayEndFlows, flowGroups, flowsToEnd } from './flows.js';
import { driftOf } from './drift.js';
import { applyNftScript, deleteNftTable, listNftElements, listNftRules, readLiveTable } from './nft.js';
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
  type StagedBuild,
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
  #applied: {
    desired: EnforcerDesired;
    rendered: RenderedState;
    capacities: SetCapacities;
    /** The rules as the kernel listed them after the last full build; see rulesFingerprint. */
    rules: string;
  } | null = null;
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

  /**
   * Compares the kernel's live table with what was applied last and, on any difference (a failed apply, an
   * element or rule changed behind weft's back, the table deleted), rebuilds it whole. True when it did.
   */
  repair(): Promise<boolean> {
    let rebuilt = false;
    return this.#serialize(async () => {
      const applied = this.#applied;
      if (applied === null) return;
      const drift = driftOf(await readLiveTable(this.table), applied);
      if (drift.length === 0) return;
      this.#logger?.warn({ table: this.table, drift }, 'enforcer: table drifted from the plan; rebuilding');
      await applyNftScript(planRuleset(applied.desired, applied.rendered));
      await this.#built(applied.desired, applied.rendered);
      rebuilt = true;
    }).then(() => rebuilt);
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
    const prev = this.#applied;
    let mayEnd = true;
    if (prev === null) {
      await this.#built(next, await this.#buildFirst(next));
    } else {
      // Rendered once per apply; the previous rendering is kept, so a delta costs one pass over `next`.
      const rendered = renderState(next);
      if (structuralChange(prev.desired, next) || outgrows(rendered, prev.capacities)) {
        await applyNftScript(planRuleset(next, rendered));
        this.#logBuilt(rendered, 1);
        await this.#built(next, rendered);
      } else {
        const changes = diffRendered(prev.rendered, rendered);
        mayEnd = changesMayEndFlows(changes);
        const rebuilt = await this.#applyDelta(deltaScript(this.table, changes), next, rendered);
        // The sets keep the size they were built with until the next full build.
        if (rebuilt) await this.#built(next, rendered);
        else this.#applied = { ...prev, desired: next, rendered };
      }
    }
    if (this.#sweepPending || mayEnd) {
      this.#sweepPending = true;
      await this.#endDisallowedFlows(next);
      this.#sweepPending = false;
    }
  }

  /**
   * The first build of this enforcer: staged on several cores when the table does not exist yet and is
   * large, else (a restarted cell finds its table in place) one transaction that replaces it.
   */
  async #buildFirst(next: EnforcerDesired): Promise<RenderedState> {
    const drawn = renderTexts(elementsOf(next));
    const elements = Object.values(drawn).reduce((n, set) => n + set.texts.length, 0);
    const parts = Math.min(availableParallelism(), Math.floor(elements / ELEMENTS_PER_STAGE));
    if (parts > 1) {
      const staged = planStagedBuild(next, drawn, parts);
      const started = await this.#startStaged(staged);
      if (started !== null) {
        // Indexed for later deltas while nft parses the elements.
        const rendered = indexRendered(drawn);
        await this.#finishStaged(staged, started.loading);
        this.#logBuilt(rendered, parts);
        return rendered;
      }
    }
    const rendered = indexRendered(drawn);
    await applyNftScript(planRuleset(next, rendered));
    this.#logBuilt(rendered, 1);
    return rendered;
  }

  /** Creates the table with its sets and starts loading the elements; null when the table exists already. */
  async #startStaged(
    staged: StagedBuild,
  ): Promise<{ loading: Promise<PromiseSettledResult<void>[]> } | null> {
    try {
      await applyNftScript(staged.create);
    } catch {
      return null;
    }
    return { loading: Promise.allSettled(staged.elements.map((script) => applyNftScript(script))) };
  }

  async #finishStaged(staged: StagedBuild, loading: Promise<PromiseSettledResult<void>[]>): Promise<void> {
    try {
      const failed = (await loading).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await applyNftScript(staged.chains);
    } catch (err) {
      // Half a table would never take effect (it has no hooks yet), but it must not stay behind.
      await deleteNftTable(this.table).catch(() => undefined);
      throw err;
    }
  }

  /** Records a full build: its set sizes and rules are what later deltas and resyncs compare against. */
  async #built(desired: EnforcerDesired, rendered: RenderedState): Promise<void> {
    this.#applied = {
      desired,
      rendered,
      capacities: capacitiesFor(rendered),
      rules: await listNftRules(this.table),
    };
  }

  #logBuilt(rendered: RenderedState, stages: number): void {
    const elements = Object.values(rendered).reduce((n, set) => n + set.size, 0);
    this.#logger?.info({ table: this.table, elements, stages }, 'enforcer: table built');
  }

  /** True when the delta failed and the table was rebuilt whole instead. */
  async #applyDelta(delta: string | null, next: EnforcerDesired, rendered: RenderedState): Promise<boolean> {
    if (delta === null) return false;
    try {
      await applyNftScript(delta);
      this.#logger?.debug({ table: this.table }, 'enforcer: delta applied');
      return false;
    } catch (err) {
      // The table was changed behind our back (deleted, edited): rebuild it whole, still atomically.
      this.#logger?.warn({ table: this.table, err }, 'enforcer: delta failed, rebuilding table');
      await applyNftScript(planRuleset(next, rendered));
      return true;
    }
  }

  async #endDisallowedFlows(desired: EnforcerDesired): Promise<void> {
    const doomed = flowsToEnd(await listFlows(), desired);
    await Promise.all(flowGroups(doomed).map((group) => deleteFlows(group)));
    if (doomed.length > 0)
      this.#logger?.info({ table: this.table, flows: doomed.length }, 'enforcer: flows ended');
  }
}
