import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CellQuestions } from '../../../src/api/cell-questions.js';
import type { CellAnswer, CellQuestion } from '../../../src/contract/inspect.js';

const Q: CellQuestion = { flows: [], certificates: [] };
const A: CellAnswer = { flows: [], certificates: [] };

test('a question reaches the cell’s stream and its answer the asker', async () => {
  const qs = new CellQuestions();
  const sent: string[] = [];
  qs.follow('c1', (m) => (sent.push(m.id), true));
  const asked = qs.ask('c1', Q, 5_000);
  assert.equal(sent.length, 1);
  assert.equal(qs.answer('c1', sent[0]!, A), true);
  assert.deepEqual(await asked, A);
});

test('another cell cannot answer for it, and an unknown question is refused', async () => {
  const qs = new CellQuestions();
  const sent: string[] = [];
  qs.follow('c1', (m) => (sent.push(m.id), true));
  const asked = qs.ask('c1', Q, 50);
  assert.equal(qs.answer('c2', sent[0]!, A), false);
  assert.equal(qs.answer('c1', 'no-such-question', A), false);
  assert.equal(await asked, null);
});

test('a cell with no stream here, or a closed one, gets no question: the asker hears null at once', async () => {
  const qs = new CellQuestions();
  assert.equal(await qs.ask('nobody', Q, 5_000), null);
  const undo = qs.follow('c1', () => false);
  assert.equal(await qs.ask('c1', Q, 5_000), null);
  undo();
  assert.equal(await qs.ask('c1', Q, 5_000), null);
});
