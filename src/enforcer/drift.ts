// Pure comparison of what the kernel holds with what weft applied last, for the cell's periodic resync.
import { ELEMENT_KINDS, indexRendered, renderTexts } from './elements.js';
import type { ElementKind, EnforcerElements, RenderedState } from './elements.js';

export interface LiveTable {
  elements: EnforcerElements;
  /** See rulesFingerprint. */
  rules: string;
}

/** What differs, for the log: the kinds of element that do, and 'rules' when a chain or rule does. */
export function driftOf(
  live: LiveTable | null,
  applied: { rendered: RenderedState; rules: string },
): (ElementKind | 'rules' | 'table')[] {
  if (live === null) return ['table'];
  const now = indexRendered(renderTexts(live.elements));
  const drift: (ElementKind | 'rules' | 'table')[] = ELEMENT_KINDS.filter(
    (kind) => !sameEntries(now[kind], applied.rendered[kind]),
  );
  if (live.rules !== applied.rules) drift.push('rules');
  return drift;
}

function sameEntries(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, text] of a) if (b.get(key) !== text) return false;
  return true;
}
