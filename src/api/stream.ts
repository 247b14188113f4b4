// The change stream: newline-delimited JSON over one long-lived response. A follower resumes from
// its revision; one that is too far behind (or new) first gets a snapshot, in pieces. A stream lives
// no longer than the token that opened it, and a follower that does not keep up is dropped.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isFollowerChange, type LoggedChange } from '../model/types.js';
import type { StreamMessage } from '../contract/stream.js';
import type { Store } from '../store/store.js';
import { changePages, latestRevision, oldestRevision } from '../store/change-log.js';
import { snapshotHeader, snapshotPages } from '../store/snapshot.js';
import { tokenExists } from '../store/tokens.js';
import { who } from './auth.js';
import type { CellQuestions } from './cell-questions.js';
import { atTime } from './deadline.js';
import { Outbox } from './outbox.js';
import { SnapshotPieces } from './snapshot-pieces.js';

// Often enough that a follower notices a dead server (three missed beats) and fails over within 2 s.
const HEARTBEAT_MS = 500;
/** Live changes held for a follower still catching up; past this it reads them from the log instead. */
const EARLY_LIMIT = 10_000;

const line = (m: StreamMessage) => `${JSON.stringify(m)}\n`;
/** A follower's connection is quiet between heartbeats; the server's idle timeout may be shorter. */
const FOLLOWER_IDLE_MS = 20 * HEARTBEAT_MS;

export function streamChanges(
  store: Store,
  /** The cell this stream serves, whose questions it carries too; null for other followers. */
  asked: { questions: CellQuestions; cellId: string | null },
  req: FastifyRequest,
  reply: FastifyReply,
  since: number,
): void {
  const identity = who(req);
  reply.hijack();
  const res = reply.raw;
  // A client that hung up while its request waited (on its token's check) is gone, its 'close' already
  // past: the cleanup below would never run, and its timer and hub follower would live on.
  if (res.destroyed) return;
  req.socket.setTimeout(FOLLOWER_IDLE_MS);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  // Send the headers now: a follower with nothing to catch up on would otherwise hear nothing
  // until the first change or heartbeat, and could not tell it is connected.
  res.flushHeaders();
  const log = req.log.child({ token: identity.name });
  const outbox = new Outbox(res, (why) =>
    log.warn({ why }, 'dropped a change stream follower that does not keep up; it resumes from its revision'),
  );
  const end = (why: string) => {
    log.info({ why }, 'ending a change stream');
    outbox.close();
  };

  let sent = since;
  let caughtUp = false;
  let early: LoggedChange[] = [];
  let overflowed = false;
  const deliver = (c: LoggedChange) => {
    if (c.revision <= sent) return;
    if (isFollowerChange(c)) outbox.write(line({ type: 'change', change: c }));
    sent = c.revision;
  };
  // Follow before reading anything, so nothing committed in between is missed.
  const unfollow = store.hub.follow((c) => {
    if (c.kind === 'token' && c.op === 'delete' && c.key === identity.tokenId) end('its token was revoked');
    else if (caughtUp) deliver(c);
    else if (early.length < EARLY_LIMIT) early.push(c);
    else overflowed = true;
  });
  const heartbeat = setInterval(
    () => outbox.write(line({ type: 'heartbeat', revision: sent })),
    HEARTBEAT_MS,
  );
  const cancelExpiry =
    identity.expiresAt === null
      ? () => undefined
      : atTime(Date.parse(identity.expiresAt), () => end('its token expired'));
  // A cell's own stream also carries the questions and session orders for it; they wait for no change.
  const { questions, cellId } = asked;
  const unask =
    cellId === null
      ? () => undefined
      : questions.follow(cellId, (message) => {
          if (!outbox.open) return false;
          outbox.write(line(message));
          return true;
        });
  res.on('close', () => {
    unask();
    unfollow();
    clearInterval(heartbeat);
    cancelExpiry();
  });

  const catchUp = async () => {
    // A revocation committed between the token check and following would otherwise go unheard.
    if (!(await tokenExists(store.db, identity.tokenId))) return end('its token was revoked');
    const [oldest, latest] = await Promise.all([oldestRevision(store.db), latestRevision(store.db)]);
    // Revisions before `oldest` may have been pruned; a follower that far back needs a snapshot.
    if (since === 0 || since > latest || since < oldest - 1) sent = await sendSnapshot(store, outbox);
    // Everything the held live changes may not cover comes from the log, paced by the follower.
    do {
      early = [];
      overflowed = false;
      for await (const page of changePages(store.db, sent)) {
        if (!outbox.open) return;
        page.forEach(deliver);
        await outbox.drained();
      }
    } while (overflowed && outbox.open);
    early.forEach(deliver);
    early = [];
    caughtUp = true;
  };
  catchUp().catch((err: unknown) => {
    log.error({ err }, 'change stream failed');
    outbox.close();
  });
}

/** Sends the state at one revision in pieces; returns that revision. */
async function sendSnapshot(store: Store, outbox: Outbox): Promise<number> {
  const { revision, lines } = await store.read(async (db) => {
    const header = await snapshotHeader(db);
    const lines = [line({ type: 'snapshot-start', ...header })];
    const pieces = new SnapshotPieces((l) => lines.push(l));
    for await (const page of snapshotPages(db)) pieces.add(page);
    pieces.flush();
    lines.push(line({ type: 'snapshot-end', revision: header.revision }));
    return { revision: header.revision, lines };
  });
  // Sent after the read ends: a slow follower must not hold the database.
  for (let l = lines.shift(); l !== undefined && outbox.open; l = lines.shift()) {
    outbox.write(l);
    await outbox.drained();
  }
  return revision;
}
