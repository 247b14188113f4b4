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
import { changesMayEndFlows, flowGroups, flowsToEnd, type Flow } from './flows.js';
import { driftOf, type LiveTable } from './drift.js';
import { applyNftScript, deleteNftTable, listNftElements, readLiveTable } from './nft.js';
import {
  capacitiesFor,
  planApply,
  planRuleset,
  planStagedBuild,
  type AppliedTable,
  type ApplyStep,
  type RenderedState,
  type SetCapacities,
  type StagedBuild,
} from './plan.js';

/** Below this many elements per nft process, a staged build costs more in process starts than it saves. */
const ELEMENTS_PER_STAGE = 20_000;

export type EnforcerLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

/** What the enforcer does to the kernel, as one interface so tests can stand in for nft and conntrack. */
export interface EnforcerKernel {
  /** Runs an `nft -f` script as one transaction. */
  applyScript(script: string): Promise<void>;
  deleteTable(table: string): Promise<void>;
  listElements(table: string): Promise<EnforcerElements>;
  /** Elements and rules together, or null when the table is gone. */
  readTable(table: string): Promise<LiveTable | null>;
  listFlows(): Promise<Flow[]>;
  deleteFlows(group: Omit<Flow, 'sport'>): Promise<void>;
}

export const hostKernel: EnforcerKernel = {
  applyScript: applyNftScript,
  deleteTable: deleteNftTable,
  listElements: listNftElements,
  readTable: readLiveTable,
  listFlows,
  deleteFlows,
};

export interface EnforcerOptions {
  table: string;
  logger?: EnforcerLogger;
  kernel?: EnforcerKernel;
  /** Told how each apply went and how long it took the kernel, conntrack sweep included (for metrics). */
  onApplied?: (kind: ApplyStep['kind'], seconds: number) => void;
}

export class Enforcer {
  readonly table: string;
  readonly #logger: EnforcerLogger | undefined;
  readonly #kernel: EnforcerKernel;
  readonly #onApplied: EnforcerOptions['onApplied'];
  /** What the kernel holds, as far as we know; null until the first full build succeeds. */
  #applied: AppliedTable | null = null;
  /**
   * The rules as the first resync after the last full build read them, for later resyncs to compare; null
   * until then. Not listed right after a build: nft reads every element to list even one chain, which at
   * 100k elements costs more than the build itself.
   */
  #rules: string | null = null;
  /** A sweep that failed is retried on the next apply, even when the table needs no change. */
  #sweepPending = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: EnforcerOptions) {
    this.table = opts.table;
    this.#logger = opts.logger;
    this.#kernel = opts.kernel ?? hostKernel;
    this.#onApplied = opts.onApplied;
  }

  /** How much the kernel enforces now, as last applied; zeros before the first build. */
  held(): { policies: number; localInstances: number } {
    const d = this.#applied?.desired;
    return { policies: d?.policies.length ?? 0, localInstances: d?.localInstances.length ?? 0 };
  }

  /** Makes the kernel enforce `desired`. Calls run one at a time, in order. */
  apply(desired: EnforcerDesired): Promise<void> {
    return this.#serialize(() => this.#apply(desired));
  }

  /** Deletes the table: the cell stops enforcing. */
  remove(): Promise<void> {
    return this.#serialize(async () => {
      await this.#kernel.deleteTable(this.table);
      this.#applied = null;
    });
  }

  /**
   * Compares the kernel's live table with what was applied last and, on any difference (a failed apply, an
   * element or rule changed behind weft's back, the table deleted), rebuilds it whole. True when it did.
   */
  async repair(): Promise<boolean> {
    const applied = this.#applied;
    if (applied === null) return false;
    // Read outside the queue: a large table takes a while to list, and a policy change must not wait for it.
    const live = await this.#kernel.readTable(this.table);
    let rebuilt = false;
    await this.#serialize(async () => {
      // An apply since the read makes the reading stale; the next resync looks again.
      if (this.#applied !== applied) return;
      this.#rules ??= live?.rules ?? null;
      const drift = driftOf(live, { ...applied, rules: this.#rules ?? '' });
      if (drift.length === 0) return;
      this.#logger?.warn({ table: this.table, drift }, 'enforcer: table drifted from the plan; rebuilding');
      this.#applied = { ...applied, capacities: await this.#rebuild(applied.desired, applied.rendered) };
      rebuilt = true;
    });
    return rebuilt;
  }

  /** Reads back what the kernel's sets and maps hold. */
  listElements(): Promise<EnforcerElements> {
    return this.#kernel.listElements(this.table);
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
    const started = performance.now();
    const step = planApply(this.#applied, next);
    let rendered: RenderedState;
    let capacities: SetCapacities;
    if (step.kind === 'build') {
      rendered = await this.#buildFirst(next);
      capacities = capacitiesFor(rendered);
    } else {
      rendered = step.rendered;
      if (step.kind === 'rebuild') capacities = await this.#rebuild(next, rendered);
      else if (step.kind === 'delta') capacities = await this.#applyDelta(step, next);
      else capacities = step.capacities;
    }
    this.#applied = { desired: next, rendered, capacities };
    const mayEnd = step.kind === 'delta' ? changesMayEndFlows(step.changes) : step.kind !== 'nothing';
    if (this.#sweepPending || mayEnd) {
      this.#sweepPending = true;
      await this.#endDisallowedFlows(next);
      this.#sweepPending = false;
    }
    this.#onApplied?.(step.kind, (performance.now() - started) / 1000);
  }

  /** Replaces the table whole, in one transaction; its sets get the room for `rendered`. */
  async #rebuild(next: EnforcerDesired, rendered: RenderedState): Promise<SetCapacities> {
    await this.#kernel.applyScript(planRuleset(next, rendered));
    this.#rules = null;
    this.#logBuilt(rendered, 1);
    return capacitiesFor(rendered);
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
        this.#rules = null;
        this.#logBuilt(rendered, parts);
        return rendered;
      }
    }
    const rendered = indexRendered(drawn);
    await this.#rebuild(next, rendered);
    return rendered;
  }

  /** Creates the table with its sets and starts loading the elements; null when the table exists already. */
  async #startStaged(
    staged: StagedBuild,
  ): Promise<{ loading: Promise<PromiseSettledResult<void>[]> } | null> {
    try {
      await this.#kernel.applyScript(staged.create);
    } catch {
      return null;
    }
    return { loading: Promise.allSettled(staged.elements.map((script) => this.#kernel.applyScript(script))) };
  }

  async #finishStaged(staged: StagedBuild, loading: Promise<PromiseSettledResult<void>[]>): Promise<void> {
    try {
      const failed = (await loading).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      await this.#kernel.applyScript(staged.chains);
    } catch (err) {
      // Half a table would never take effect (it has no hooks yet), but it must not stay behind.
      await this.#kernel.deleteTable(this.table).catch(() => undefined);
      throw err;
    }
  }

  #logBuilt(rendered: RenderedState, stages: number): void {
    const elements = Object.values(rendered).reduce((n, set) => n + set.size, 0);
    this.#logger?.info({ table: this.table, elements, stages }, 'enforcer: table built');
  }

  /** Returns the room the kernel's sets have afterwards. */
  async #applyDelta(
    step: Extract<ApplyStep, { kind: 'delta' }>,
    next: EnforcerDesired,
  ): Promise<SetCapacities> {
    try {
      await this.#kernel.applyScript(step.script);
    } catch (err) {
      // The table was changed behind our back (deleted, edited): rebuild it whole, still atomically.
      this.#logger?.warn({ table: this.table, err }, 'enforcer: delta failed, rebuilding table');
      return this.#rebuild(next, step.rendered);
    }
    this.#logger?.debug({ table: this.table }, 'enforcer: delta applied');
    return step.capacities;
  }

  async #endDisallowedFlows(desired: EnforcerDesired): Promise<void> {
    const doomed = flowsToEnd(await this.#kernel.listFlows(), desired);
    await Promise.all(flowGroups(doomed).map((group) => this.#kernel.deleteFlows(group)));
    if (doomed.length > 0)
      this.#logger?.info({ table: this.table, flows: doomed.length }, 'enforcer: flows ended');
  }
}
