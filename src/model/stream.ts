// What the change stream (GET /v1/watch) sends: one JSON message per line. A snapshot comes in pieces
// (start, items of one kind at a time, end) so no line grows with the size of the platform.
import type { Change, Snapshot } from './types.js';

/** The resource lists of a snapshot, by the name each has in it. */
export type SnapshotTables = Omit<Snapshot, 'revision' | 'overlayCidr'>;
export type SnapshotKind = keyof SnapshotTables;
export const SNAPSHOT_KINDS: SnapshotKind[] = [
  'orgs',
  'spaces',
  'apps',
  'domains',
  'routes',
  'policies',
  'instances',
  'cells',
];

export type SnapshotItems = {
  [K in SnapshotKind]: { type: 'snapshot-items'; kind: K; items: SnapshotTables[K] };
}[SnapshotKind];

export type StreamMessage =
  | { type: 'snapshot-start'; revision: number; overlayCidr: string }
  | SnapshotItems
  | { type: 'snapshot-end'; revision: number }
  | { type: 'change'; change: Change }
  | { type: 'heartbeat'; revision: number };

/** The server fills a snapshot piece up to this many bytes; an item larger than that goes alone. */
export const SNAPSHOT_PIECE_BYTES = 256 * 1024;

/**
 * No line of the stream is longer, and a follower refuses one that is: snapshot pieces stay near
 * SNAPSHOT_PIECE_BYTES, and a change carries one resource, which the API's body limit (1 MiB by default)
 * and quotas keep well below this.
 */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;
