import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotPieces } from '../../../src/api/snapshot-pieces.js';
import { SnapshotAssembler } from '../../../src/cell/stream-reader.js';
import type { StreamMessage } from '../../../src/contract/stream.js';
import type { Org, Policy } from '../../../src/model/types.js';

const orgs = (n: number, nameLength = 10): Org[] =>
  Array.from({ length: n }, (_, i) => ({ guid: `org-${i}`, name: `${i}`.padEnd(nameLength, 'n') }));

function cut(pieceBytes: number, pages: StreamMessage[]): string[] {
  const lines: string[] = [];
  const pieces = new SnapshotPieces((l) => lines.push(l), pieceBytes);
  for (const p of pages) if (p.type === 'snapshot-items') pieces.add(p);
  pieces.flush();
  return lines;
}

test('no piece is longer than the piece size, and together they hold every item in order', () => {
  const items = orgs(500, 100);
  const lines = cut(4096, [
    { type: 'snapshot-items', kind: 'orgs', items: items.slice(0, 123) },
    { type: 'snapshot-items', kind: 'orgs', items: items.slice(123) },
  ]);
  assert.ok(lines.length > 10, `${lines.length} lines`);
  for (const l of lines) {
    assert.ok(Buffer.byteLength(l) <= 4096, `a line of ${Buffer.byteLength(l)} bytes`);
    assert.ok(l.endsWith('}\n'));
  }
  const parsed = lines.map((l) => JSON.parse(l) as StreamMessage);
  assert.deepEqual(
    parsed.flatMap((m): unknown[] => (m.type === 'snapshot-items' ? m.items : [])),
    items,
  );
});

test('pages of different kinds never share a piece; pages of one kind do', () => {
  const policy: Policy = { sourceAppGuid: 'a', destAppGuid: 'b', protocol: 'tcp', startPort: 1, endPort: 2 };
  const lines = cut(1 << 20, [
    { type: 'snapshot-items', kind: 'orgs', items: orgs(2) },
    { type: 'snapshot-items', kind: 'orgs', items: orgs(3) },
    { type: 'snapshot-items', kind: 'policies', items: [policy] },
  ]);
  const parsed = lines.map((l) => JSON.parse(l) as StreamMessage);
  assert.deepEqual(
    parsed.map((m) => (m.type === 'snapshot-items' ? [m.kind, m.items.length] : null)),
    [
      ['orgs', 5],
      ['policies', 1],
    ],
  );
});

test('an item larger than the piece size goes alone, whole', () => {
  const lines = cut(256, [
    { type: 'snapshot-items', kind: 'orgs', items: [...orgs(1), ...orgs(1, 1000), ...orgs(1)] },
  ]);
  assert.equal(lines.length, 3);
  const middle = JSON.parse(lines[1] ?? '') as StreamMessage;
  assert.ok(middle.type === 'snapshot-items' && middle.items.length === 1);
});

test('the pieces assemble into the snapshot they were cut from', () => {
  const assembler = new SnapshotAssembler();
  const items = orgs(50, 200);
  const lines = [
    JSON.stringify({ type: 'snapshot-start', revision: 7, overlayCidr: '10.9.0.0/16' }),
    ...cut(2048, [{ type: 'snapshot-items', kind: 'orgs', items }]),
    JSON.stringify({ type: 'snapshot-end', revision: 7 }),
  ];
  const out = lines.map((l) => assembler.accept(JSON.parse(l) as StreamMessage));
  assert.ok(out.slice(0, -1).every((m) => m === null));
  const last = out.at(-1);
  assert.ok(last?.type === 'snapshot');
  assert.equal(last.snapshot.revision, 7);
  assert.deepEqual(last.snapshot.orgs, items);
  assert.deepEqual(last.snapshot.apps, []);
});
