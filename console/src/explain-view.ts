// The explain answer for the picked pair: the verdict, its summary, and each layer's finding.
import type { Explanation } from '../../src/contract/explain.js';
import { el } from './dom.js';

export function renderExplanation(source: string, destination: string, what: string, e: Explanation): Node[] {
  return [
    el(
      'h3',
      {},
      `${source} → ${destination} (${what}): `,
      el('span', { class: `verdict-${e.verdict}` }, e.verdict),
    ),
    el('p', { class: 'summary' }, e.summary),
    el(
      'ul',
      { class: 'steps' },
      ...e.steps.map((s) =>
        el('li', { class: `step step-${s.status}`, data: { layer: s.layer } }, `${s.layer}: ${s.text}`),
      ),
    ),
  ];
}
