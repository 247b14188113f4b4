// Where an instance's first start spends its time: each step's start and end in ms from the start's
// beginning, logged once the app answers and observed in weft_cell_instance_start_step_seconds{step}.
// The steps overlap (the start runs what it can side by side); the spans show which ones it waited on.
import { Histogram } from 'prom-client';

/** A step's start and end, in ms from the beginning of the instance's start. */
export type StepSpan = readonly [from: number, to: number];

export function instanceStartStepHistogram(): Histogram<'step'> {
  return new Histogram({
    name: 'weft_cell_instance_start_step_seconds',
    help: 'each step of an instance start (they overlap); step="total": the cell taking it on to its app answering',
    labelNames: ['step'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [],
  });
}

/** The spans in the order their steps began, each rounded to the millisecond, for one log line. */
export function spansByStart(spans: ReadonlyMap<string, StepSpan>): Record<string, StepSpan> {
  const sorted = [...spans].sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1]);
  return Object.fromEntries(sorted.map(([step, [from, to]]) => [step, [Math.round(from), Math.round(to)]]));
}

export class StartTrace {
  private readonly origin: number;
  private readonly spans = new Map<string, StepSpan>();
  private finished = false;

  constructor(
    private readonly histogram: Histogram<'step'>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.origin = now();
  }

  /** `p`, its span noted under `step` (the first time only: a restart's steps are not the start's). */
  async time<T>(step: string, p: Promise<T>): Promise<T> {
    const from = this.now() - this.origin;
    const value = await p;
    if (!this.finished && !this.spans.has(step)) this.spans.set(step, [from, this.now() - this.origin]);
    return value;
  }

  /** Ends the trace: observes each step and the total; returns the spans for the log, null if ended already. */
  finish(): { steps: Record<string, StepSpan>; total: number } | null {
    if (this.finished) return null;
    this.finished = true;
    const total = this.now() - this.origin;
    for (const [step, [from, to]] of this.spans) this.histogram.observe({ step }, (to - from) / 1000);
    this.histogram.observe({ step: 'total' }, total / 1000);
    return { steps: spansByStart(this.spans), total: Math.round(total) };
  }
}
