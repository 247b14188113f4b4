import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planCellLoss, type CellPresence, type PlacedInstance } from '../../../src/cells/loss-plan.js';

const NOW = 1_000_000;
const timings = { lostAfterMs: 10_000, leaseGraceMs: 300_000 };
const alive = (id: string, silentMs: number | null): CellPresence => ({
  id,
  state: 'alive',
  lastSeenMs: silentMs === null ? null : NOW - silentMs,
  lostAtMs: null,
});
const lost = (id: string, lostAgoMs: number): CellPresence => ({
  id,
  state: 'lost',
  lastSeenMs: NOW - lostAgoMs - 10_000,
  lostAtMs: NOW - lostAgoMs,
});
const on = (cellId: string, guid: string, external = false): PlacedInstance => ({ guid, cellId, external });

describe('planning cell loss', () => {
  test('a cell silent longer than allowed is lost; one just inside the limit is not', () => {
    const plan = planCellLoss([alive('a', 10_001), alive('b', 10_000), alive('c', 0)], [], NOW, timings);
    assert.deepEqual(plan.lose, ['a']);
  });

  test('a cell that never sent a heartbeat is never declared lost', () => {
    assert.deepEqual(planCellLoss([alive('old', null)], [], NOW, timings).lose, []);
  });

  test('a lost cell’s instances go to the least loaded alive cells, spreading as they go', () => {
    const plan = planCellLoss(
      [alive('a', 0), alive('b', 0), alive('dead', 60_000)],
      [on('a', 'a1'), on('dead', 'd1'), on('dead', 'd2'), on('dead', 'd3')],
      NOW,
      timings,
    );
    assert.deepEqual(plan.moves, [
      { guid: 'd1', from: 'dead', to: 'b' },
      { guid: 'd2', from: 'dead', to: 'a' },
      { guid: 'd3', from: 'dead', to: 'b' },
    ]);
  });

  test('placement never picks a lost cell, nor one being lost in the same sweep', () => {
    const plan = planCellLoss(
      [lost('gone', 1_000), alive('x', 20_000), alive('y', 20_000), alive('z', 0)],
      [on('x', 'x1'), on('y', 'y1'), on('z', 'z1'), on('z', 'z2'), on('z', 'z3')],
      NOW,
      timings,
    );
    assert.deepEqual(plan.lose, ['x', 'y']);
    assert.ok(plan.moves.every((m) => m.to === 'z'));
  });

  test('with no alive cell left the instances wait for one', () => {
    const plan = planCellLoss([alive('only', 60_000)], [on('only', 'i1')], NOW, timings);
    assert.deepEqual(plan.moves, [{ guid: 'i1', from: 'only', to: '' }]);
  });

  test('waiting instances are placed once an alive cell exists, and stay put without one', () => {
    assert.deepEqual(planCellLoss([alive('a', 0)], [on('', 'w1')], NOW, timings).moves, [
      { guid: 'w1', from: '', to: 'a' },
    ]);
    assert.deepEqual(planCellLoss([lost('a', 0)], [on('', 'w1')], NOW, timings).moves, []);
  });

  test('an outside runtime’s instance of a lost cell leaves its app instead of moving', () => {
    const plan = planCellLoss(
      [alive('a', 0), alive('dead', 60_000)],
      [on('dead', 'p1', true), on('dead', 'i1')],
      NOW,
      timings,
    );
    assert.deepEqual(plan.leave, [{ guid: 'p1', from: 'dead' }]);
    assert.deepEqual(plan.moves, [{ guid: 'i1', from: 'dead', to: 'a' }]);
  });

  test('a lost cell’s lease is released once the grace has run out, not before', () => {
    const plan = planCellLoss([lost('long', 300_001), lost('recent', 300_000)], [], NOW, timings);
    assert.deepEqual(plan.release, ['long']);
    assert.deepEqual(plan.lose, []);
  });

  test('a cell that came back (alive again) is neither lost nor released', () => {
    const plan = planCellLoss([alive('back', 0)], [on('back', 'i1')], NOW, timings);
    assert.deepEqual(plan, { lose: [], moves: [], leave: [], release: [] });
  });

  test('sweeping twice changes nothing the second time', () => {
    const cells = [alive('a', 0), alive('dead', 60_000)];
    const first = planCellLoss(cells, [on('dead', 'i1')], NOW, timings);
    const after = [alive('a', 0), { ...cells[1]!, state: 'lost' as const, lostAtMs: NOW }];
    const placed = first.moves.map((m) => on(m.to, m.guid));
    assert.deepEqual(planCellLoss(after, placed, NOW, timings), {
      lose: [],
      moves: [],
      leave: [],
      release: [],
    });
  });
});
