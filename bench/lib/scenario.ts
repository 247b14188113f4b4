import type { Figure } from './report.js';
import type { Scope } from './cleanup.js';

export interface Mode {
  quick: boolean;
}

export interface Scenario {
  id: string;
  title: string;
  /** How it is measured and what the peer is, for the report. */
  method: string;
  /** Registers everything it makes on `scope`; main closes the scope whatever happens. */
  run(mode: Mode, scope: Scope, figures: Figure[]): Promise<void>;
}
