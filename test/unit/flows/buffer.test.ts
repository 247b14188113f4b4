import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Flow } from '../../../src/contract/flows.js';
import { FlowBuffer } from '../../../src/flows/buffer.js';

const end = (ip: string, appGuid: string | null) => ({
  ip,
  port: 8080,
  appGuid,
  appName: appGuid,
  spaceGuid: appGuid === null ? null : 'space',
  spaceName: null,
  orgGuid: null,
  orgName: null,
  instanceGuid: null,
  instanceIndex: null,
});

function flow(cellId: string, src: string, dst: string): Omit<Flow, 'seq'> {
  return {
    time: new Date(0).toISOString(),
    cellId,
    verdict: 'DENIED',
    protocol: 'tcp',
    src: end('10.0.0.1', src),
    dst: end('10.0.0.2', dst),
  };
}

const all = { keep: () => true };

test('records are numbered in arrival order and paged with since/next', () => {
  const b = new FlowBuffer(100);
  b.add([flow('c1', 'a', 'b'), flow('c2', 'a', 'c'), flow('c1', 'b', 'c')]);
  const first = b.after({ ...all, since: 0, limit: 2 });
  assert.deepEqual(
    first.flows.map((f) => f.seq),
    [1, 2],
  );
  const rest = b.after({ ...all, since: first.next, limit: 2 });
  assert.deepEqual(
    rest.flows.map((f) => f.seq),
    [3],
  );
  assert.deepEqual(b.after({ ...all, since: rest.next, limit: 2 }).flows, []);
  b.add([flow('c2', 'c', 'a')]);
  assert.deepEqual(
    b.after({ ...all, since: rest.next, limit: 2 }).flows.map((f) => f.seq),
    [4],
  );
});

test('each cell keeps only its latest records, so a noisy cell cannot push out another’s', () => {
  const b = new FlowBuffer(10);
  b.add([flow('quiet', 'a', 'b')]);
  b.add(Array.from({ length: 1000 }, () => flow('noisy', 'x', 'y')));
  const kept = b.after({ ...all, since: 0, limit: 1000 }).flows;
  assert.equal(kept.filter((f) => f.cellId === 'noisy').length, 10);
  assert.equal(kept.filter((f) => f.cellId === 'quiet').length, 1);
  assert.deepEqual(
    kept.filter((f) => f.cellId === 'noisy').map((f) => f.seq),
    Array.from({ length: 10 }, (_, i) => 992 + i),
  );
});

test('the number of cells kept is bounded; the one heard from longest ago goes', () => {
  const b = new FlowBuffer(10, 2);
  b.add([flow('c1', 'a', 'b'), flow('c2', 'a', 'b'), flow('c3', 'a', 'b')]);
  assert.deepEqual(
    b.after({ ...all, since: 0, limit: 10 }).flows.map((f) => f.cellId),
    ['c2', 'c3'],
  );
});

test('the filter decides what a caller sees, and paging moves past what it hid', () => {
  const b = new FlowBuffer(100);
  b.add([flow('c1', 'a', 'b'), flow('c1', 'x', 'y'), flow('c1', 'b', 'a')]);
  const page = b.after({ since: 0, limit: 10, keep: (f) => f.src.appGuid === 'a' || f.dst.appGuid === 'a' });
  assert.deepEqual(
    page.flows.map((f) => f.seq),
    [1, 3],
  );
  assert.equal(page.next, 3);
});
