// Cloud Foundry reads policy bodies up to 10 MiB. Parsed, such a body holds some 100 MB of objects, and
// writes are serialised anyway: a few large bodies are read at a time, and the others wait unread, their
// bytes left in the kernel's buffers and their senders held back by TCP.
import type { EventEmitter } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A body no larger than this is read at once, like a body of any other route. */
const SMALL_BODY_BYTES = 1024 * 1024;

/** Counts slots; a slot is given back when the answer it was taken for closes. */
export class Gate {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.free = slots;
  }

  /** Resolves once a slot is the caller's; `until` closing gives it back, even before it was given. */
  async enter(until: EventEmitter): Promise<void> {
    let held = false;
    let closed = false;
    until.once('close', () => {
      closed = true;
      if (held) this.leave();
    });
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    held = true;
    if (closed) this.leave();
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** A preParsing hook: a body declared small, or small by its length, goes by; others queue at `gate`. */
export function largeBodiesThrough(gate: Gate) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const length = Number(req.headers['content-length']);
    if (Number.isInteger(length) && length <= SMALL_BODY_BYTES) return;
    await gate.enter(reply.raw);
  };
}
