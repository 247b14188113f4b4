// Turns the change stream's bytes into what the cell acts on: lines of bounded length, and a
// snapshot handed over only once all its pieces arrived, so a cut stream never leaves half a snapshot.
import {
  MAX_LINE_BYTES,
  SNAPSHOT_KINDS,
  type SnapshotTables,
  type StreamMessage,
} from '../contract/stream.js';
import type { CellQuestion } from '../contract/inspect.js';
import type { SessionRequest } from '../contract/session.js';
import type { Change, Snapshot } from '../model/types.js';

/** What the cell acts on: a whole snapshot, one change, a sign of life, a question about its host, or a session to open. */
export type FollowedMessage =
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'change'; change: Change }
  | { type: 'heartbeat'; revision: number }
  | { type: 'question'; id: string; question: CellQuestion }
  | { type: 'session'; id: string; secret: string; request: SessionRequest };

/** Splits text into lines; refuses a line longer than the bound instead of buffering it. */
export class LineSplitter {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly maxLine = MAX_LINE_BYTES) {}

  push(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.keep(text.slice(start, nl));
      lines.push(this.parts.join(''));
      this.parts = [];
      this.length = 0;
      start = nl + 1;
    }
    this.keep(text.slice(start));
    return lines.filter((l) => l !== '');
  }

  private keep(part: string): void {
    this.length += part.length;
    if (this.length > this.maxLine)
      throw new Error(`the change stream sent a line longer than ${this.maxLine}`);
    if (part !== '') this.parts.push(part);
  }
}

/** Collects a snapshot's pieces; passes changes and heartbeats through. */
export class SnapshotAssembler {
  private pending: Snapshot | null = null;

  accept(m: StreamMessage): FollowedMessage | null {
    switch (m.type) {
      case 'snapshot-start':
        this.pending = { revision: m.revision, overlayCidr: m.overlayCidr, ...emptyTables() };
        return null;
      case 'snapshot-items': {
        const table = this.requirePending(m.type)[m.kind] as unknown[];
        for (const item of m.items) table.push(item);
        return null;
      }
      case 'snapshot-end': {
        const snapshot = this.requirePending(m.type);
        if (snapshot.revision !== m.revision) {
          throw new Error(`snapshot-end at revision ${m.revision} ends a snapshot at ${snapshot.revision}`);
        }
        this.pending = null;
        return { type: 'snapshot', snapshot };
      }
      case 'change':
        if (this.pending) throw new Error('a change in the middle of a snapshot');
        return m;
      case 'heartbeat':
      case 'question':
      case 'session':
        return m;
    }
  }

  private requirePending(type: string): Snapshot {
    if (!this.pending) throw new Error(`${type} outside a snapshot`);
    return this.pending;
  }
}

function emptyTables(): SnapshotTables {
  return Object.fromEntries(SNAPSHOT_KINDS.map((k) => [k, []])) as unknown as SnapshotTables;
}
