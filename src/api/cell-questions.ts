// Questions to the cells that follow this server's change stream, and their answers: the stream carries
// each question to its one cell; the cell posts the answer back. Bounded: questions pending at once, and
// the time an asker waits. A cell following another server (several servers share PostgreSQL) is not
// reachable from here.
import { randomUUID } from 'node:crypto';
import type { CellAnswer, CellQuestion } from '../contract/inspect.js';
import type { SessionOrder } from './sessions.js';

const MAX_PENDING = 256;

interface Pending {
  cellId: string;
  resolve: (answer: CellAnswer | null) => void;
}

/** What a cell's stream carries for it alone: questions, and orders to open a session (sessions.ts). */
export type CellMessage = { type: 'question'; id: string; question: CellQuestion } | SessionOrder;
export type Ask = (message: CellMessage) => boolean;

export class CellQuestions {
  private readonly followers = new Map<string, Set<Ask>>();
  private readonly pending = new Map<string, Pending>();

  /** A cell's stream opened; `send` writes a question to it (false once it cannot). Returns the undo. */
  follow(cellId: string, send: Ask): () => void {
    let set = this.followers.get(cellId);
    if (set === undefined) {
      set = new Set();
      this.followers.set(cellId, set);
    }
    set.add(send);
    return () => {
      set.delete(send);
      if (set.size === 0) this.followers.delete(cellId);
    };
  }

  /** The cell's answer, or null when no stream of it is open here, it did not answer in time, or too many wait. */
  ask(cellId: string, question: CellQuestion, timeoutMs: number): Promise<CellAnswer | null> {
    const sends = this.followers.get(cellId);
    if (sends === undefined || this.pending.size >= MAX_PENDING) return Promise.resolve(null);
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, null), timeoutMs);
      this.pending.set(id, {
        cellId,
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
      });
      if (!this.tell(cellId, { type: 'question', id, question })) this.settle(id, null);
    });
  }

  /** Writes `message` to a stream of the cell open here; false when none took it. */
  tell(cellId: string, message: CellMessage): boolean {
    return [...(this.followers.get(cellId) ?? [])].some((send) => send(message));
  }

  /** Takes an answer from `cellId`; false when no question of that id waits for that cell. */
  answer(cellId: string, id: string, answer: CellAnswer): boolean {
    if (this.pending.get(id)?.cellId !== cellId) return false;
    this.settle(id, answer);
    return true;
  }

  private settle(id: string, answer: CellAnswer | null): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    p?.resolve(answer);
  }
}
