// The control plane's side of `weft ssh` and `weft logs`. Cells listen on nothing: the server asks the
// cell, over the cell's change stream, to dial back with a one-time secret (held here as a hash only), and
// splices the cell's stream to the caller's. Bounded: sessions per token and per cell, dial-backs waiting,
// idle time and lifetime; a session ends when its token is revoked or expires.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WeftError } from '../model/errors.js';
import type { SessionRequest } from '../contract/session.js';
import type { Store } from '../store/store.js';
import { tokenExists, type Identity } from '../store/tokens.js';
import { relay, type RelayLimits } from '../session/relay.js';
import { atTime } from './deadline.js';

export interface SessionLimits extends RelayLimits {
  perToken: number;
  perCell: number;
  /** Dial-backs awaited at once, over all cells. */
  waiting: number;
  /** How long a caller waits for the cell to dial back. */
  dialMs: number;
}

export const SESSION_LIMITS: SessionLimits = {
  perToken: 8,
  perCell: 64,
  waiting: 256,
  dialMs: 10_000,
  idleMs: 30 * 60_000,
  lifetimeMs: 8 * 60 * 60_000,
};

/** What the stream carries to the cell: open session `id`, presenting `secret` when dialling back. */
export interface SessionOrder {
  type: 'session';
  id: string;
  secret: string;
  request: SessionRequest;
}

/** Hands an order to the cell's stream, wherever it is followed; false when it surely cannot. */
export type Tell = (cellId: string, order: SessionOrder) => Promise<boolean>;

interface Waiting {
  cellId: string;
  secretHash: Buffer;
  deliver: (socket: Duplex) => void;
}

const tooMany = (message: string) => new WeftError(429, message);
const hash = (secret: string) => createHash('sha256').update(secret).digest();

export class SessionBroker {
  private readonly waiting = new Map<string, Waiting>();
  private readonly perToken = new Map<string, number>();
  private readonly perCell = new Map<string, number>();
  private readonly open = new Set<Duplex>();

  constructor(
    private readonly store: Store,
    private readonly tell: Tell,
    readonly limits: SessionLimits = SESSION_LIMITS,
  ) {}

  /** Counts a session of `tokenId` with `cellIds` against the bounds; returns its release. */
  reserve(tokenId: string, cellIds: string[]): () => void {
    if ((this.perToken.get(tokenId) ?? 0) >= this.limits.perToken) {
      throw tooMany(`this token has ${this.limits.perToken} sessions open; close one first`);
    }
    const full = cellIds.find((c) => (this.perCell.get(c) ?? 0) >= this.limits.perCell);
    if (full !== undefined) throw tooMany(`cell ${full} serves ${this.limits.perCell} sessions already`);
    const add = (m: Map<string, number>, key: string, by: number) => {
      const n = (m.get(key) ?? 0) + by;
      if (n === 0) m.delete(key);
      else m.set(key, n);
    };
    add(this.perToken, tokenId, 1);
    cellIds.forEach((c) => add(this.perCell, c, 1));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      add(this.perToken, tokenId, -1);
      cellIds.forEach((c) => add(this.perCell, c, -1));
    };
  }

  /** Asks the cell to open a session; its stream once it dialled back, null if it did not in time. */
  dial(cellId: string, request: SessionRequest): Promise<Duplex | null> {
    if (this.waiting.size >= this.limits.waiting) throw tooMany('too many sessions are being opened');
    const id = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    return new Promise((resolve) => {
      const settle = (socket: Duplex | null) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(socket);
      };
      const timer = setTimeout(() => settle(null), this.limits.dialMs);
      this.waiting.set(id, { cellId, secretHash: hash(secret), deliver: settle });
      this.tell(cellId, { type: 'session', id, secret, request }).then(
        (told) => told || settle(null),
        () => settle(null),
      );
    });
  }

  /** The cell's dial-back, once: the taker of its stream, or null for a wrong cell, id or secret. */
  take(cellId: string, id: string, secret: string): ((socket: Duplex) => void) | null {
    const w = this.waiting.get(id);
    if (w?.cellId !== cellId || !timingSafeEqual(w.secretHash, hash(secret))) return null;
    this.waiting.delete(id);
    return w.deliver;
  }

  /** Splices caller and cells until either side ends, the limits cut it, or the token goes. */
  async splice(identity: Identity, caller: Duplex, cells: Duplex[]): Promise<void> {
    for (const s of [caller, ...cells]) {
      this.open.add(s);
      s.once('close', () => this.open.delete(s));
    }
    const session = relay(caller, cells, this.limits);
    const unfollow = this.store.hub.follow((c) => {
      if (c.kind === 'token' && c.op === 'delete' && c.key === identity.tokenId) {
        session.cut('the token was revoked');
      }
    });
    const cancelExpiry =
      identity.expiresAt === null
        ? () => undefined
        : atTime(Date.parse(identity.expiresAt), () => session.cut('the token expired'));
    // A revocation committed between the token check and following would otherwise go unheard.
    if (!(await tokenExists(this.store.db, identity.tokenId))) session.cut('the token was revoked');
    await session.done;
    unfollow();
    cancelExpiry();
  }

  /** The server is closing: every session ends. */
  closeAll(): void {
    for (const s of this.open) s.destroy();
  }
}
