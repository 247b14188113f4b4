import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, SnapshotAssembler } from '../../../src/cell/stream-reader.js';
import type { StreamMessage } from '../../../src/contract/stream.js';
import type { Change } from '../../../src/model/types.js';

const change: Change = { revision: 9, kind: 'org', op: 'delete', key: 'o', object: null };

test('lines split across chunks come out whole, empty ones not at all', () => {
  const lines = new LineSplitter(100);
  assert.deepEqual(lines.push('{"a"'), []);
  assert.deepEqual(lines.push(':1}\n\n{"b":2}\n{"c'), ['{"a":1}', '{"b":2}']);
  assert.deepEqual(lines.push('":3}\n'), ['{"c":3}']);
});

test('a line longer than the bound is refused before it is buffered whole', () => {
  const lines = new LineSplitter(10);
  assert.deepEqual(lines.push('0123456789\n'), ['0123456789']);
  lines.push('01234');
  assert.throws(() => lines.push('567890'), /longer than 10/);
  assert.throws(() => new LineSplitter(10).push('x'.repeat(11)), /longer than 10/);
});

test('a snapshot is handed over only at its end; one cut off is never handed over', () => {
  const cut = new SnapshotAssembler();
  assert.equal(cut.accept({ type: 'snapshot-start', revision: 3, overlayCidr: '10.0.0.0/16' }), null);
  assert.equal(
    cut.accept({ type: 'snapshot-items', kind: 'orgs', items: [{ guid: 'o', name: 'org' }] }),
    null,
  );
  assert.deepEqual(cut.accept({ type: 'heartbeat', revision: 0 }), { type: 'heartbeat', revision: 0 });
  // The connection ends here: a new connection starts with a new assembler, the cell keeps its world.
  assert.throws(() => cut.accept({ type: 'change', change }), /middle of a snapshot/);
});

test('pieces outside a snapshot, or an end at another revision, are refused', () => {
  const items: StreamMessage = { type: 'snapshot-items', kind: 'orgs', items: [] };
  assert.throws(() => new SnapshotAssembler().accept(items), /outside a snapshot/);
  assert.throws(() => new SnapshotAssembler().accept({ type: 'snapshot-end', revision: 1 }), /outside/);
  const a = new SnapshotAssembler();
  a.accept({ type: 'snapshot-start', revision: 3, overlayCidr: '' });
  assert.throws(() => a.accept({ type: 'snapshot-end', revision: 4 }), /revision 4/);
});

test('changes and heartbeats outside a snapshot pass through', () => {
  const a = new SnapshotAssembler();
  assert.deepEqual(a.accept({ type: 'change', change }), { type: 'change', change });
});
