// Cuts a snapshot into stream lines: consecutive items of one kind share a line as long as it stays
// within the piece size. Items are serialised one by one, so no string holds more than one piece.
import { SNAPSHOT_PIECE_BYTES, type SnapshotItems, type SnapshotKind } from '../contract/stream.js';

export class SnapshotPieces {
  private kind: SnapshotKind | null = null;
  private head = '';
  private items: string[] = [];
  private bytes = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly pieceBytes = SNAPSHOT_PIECE_BYTES,
  ) {}

  add(page: SnapshotItems): void {
    if (page.kind !== this.kind) {
      this.flush();
      this.kind = page.kind;
      this.head = `${JSON.stringify({ type: 'snapshot-items', kind: page.kind }).slice(0, -1)},"items":[`;
    }
    for (const item of page.items) {
      const json = JSON.stringify(item);
      // The item and the comma before it.
      const size = Buffer.byteLength(json) + 1;
      if (this.items.length > 0 && this.lineBytes() + size > this.pieceBytes) this.flush();
      this.items.push(json);
      this.bytes += size;
    }
  }

  /** Emits what is waiting; call once after the last page. */
  flush(): void {
    if (this.items.length === 0) return;
    this.emit(`${this.head}${this.items.join(',')}]}\n`);
    this.items = [];
    this.bytes = 0;
  }

  /** The line as it stands: its head, the items, `]}` and the newline. */
  private lineBytes(): number {
    return this.head.length + this.bytes + 3;
  }
}
