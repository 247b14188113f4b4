import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setImmediate as turn } from 'node:timers/promises';
import { Gate } from '../../../src/api/body-gate.js';

/** Enters the gate for a fresh answer; says whether it got in, and closes the answer on demand. */
function caller(gate: Gate) {
  const answer = new EventEmitter();
  const state = { inside: false, close: () => answer.emit('close') };
  void gate.enter(answer).then(() => (state.inside = true));
  return state;
}

test('two callers are let in; a third waits until an answer closes', async () => {
  const gate = new Gate(2);
  const [a, b, c] = [caller(gate), caller(gate), caller(gate)];
  await turn();
  assert.deepEqual([a.inside, b.inside, c.inside], [true, true, false]);
  a.close();
  await turn();
  assert.equal(c.inside, true);
});

test('a caller whose answer closes while it waits gives its slot straight on', async () => {
  const gate = new Gate(1);
  const [a, b, c] = [caller(gate), caller(gate), caller(gate)];
  await turn();
  b.close();
  a.close();
  await turn();
  assert.equal(c.inside, true, 'the slot b never used went to c');
  const d = caller(gate);
  await turn();
  assert.equal(d.inside, false, 'only one slot, and c holds it');
  c.close();
  await turn();
  assert.equal(d.inside, true);
});
