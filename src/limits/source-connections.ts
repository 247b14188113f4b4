// Open connections counted per source address, so that one tenant of a shared server cannot hold all
// of its sockets. On a cell a source is a container: its overlay IP, which anti-spoofing pins.
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Connections one source address may hold open at once. */
  perSource: number;
  /** Connections all sources together may hold open at once. */
  total: number;
}

export type Admission = 'admitted' | 'per_source_limit' | 'global_limit';

/** Only sources with an open connection have an entry, so the table is bounded by `limits.total`. */
export class SourceConnections {
  private readonly open = new Map<string, number>();
  private count = 0;

  constructor(private readonly limits: ConnectionLimits) {}

  get total(): number {
    return this.count;
  }

  get sources(): number {
    return this.open.size;
  }

  /** Takes a slot for a new connection from `source`, or names the limit that refuses it. */
  admit(source: string): Admission {
    const held = this.open.get(source) ?? 0;
    // The source's own limit first: a refusal then says whose doing it was.
    if (held >= this.limits.perSource) return 'per_source_limit';
    if (this.count >= this.limits.total) return 'global_limit';
    this.open.set(source, held + 1);
    this.count++;
    return 'admitted';
  }

  /** Gives back a slot that `admit` granted. */
  release(source: string): void {
    const held = this.open.get(source);
    if (held === undefined) return;
    if (held <= 1) this.open.delete(source);
    else this.open.set(source, held - 1);
    this.count--;
  }

  /**
   * Admits a just-accepted socket and gives its slot back when it closes; a refused socket is closed
   * at once, before a byte of it is read.
   */
  admitSocket(socket: Socket): Admission {
    // A peer that reset before we got to it has no address; its close event is still to come.
    const source = socket.remoteAddress ?? '';
    const admission = this.admit(source);
    if (admission === 'admitted') socket.once('close', () => this.release(source));
    else socket.destroy();
    return admission;
  }
}
