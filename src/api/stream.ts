// The change stream: newline-delimited JSON over one long-lived response. A follower resumes from
// its revision; one that is too far behind (or new) first gets a full snapshot.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isFollowerChange, type Change, type LoggedChange, type Snapshot } from '../model/types.js';
import type { Store } from '../store/store.js';
import { changesSince, latestRevision, oldestRevision } from '../store/hub.js';
import { readSnapshot } from '../store/snapshot.js';

export type StreamMessage =
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'change'; change: Change }
  | { type: 'heartbeat'; revision: number };

const HEARTBEAT_MS = 10_000;
const BACKLOG_PAGE = 1000;
/** A follower's connection is quiet between heartbeats; the server's idle timeout may be shorter. */
const FOLLOWER_IDLE_MS = 3 * HEARTBEAT_MS;

export function streamChanges(store: Store, req: FastifyRequest, reply: FastifyReply, since: number): void {
  reply.hijack();
  req.socket.setTimeout(FOLLOWER_IDLE_MS);
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  // Send the headers now: a follower with nothing to catch up on would otherwise hear nothing
  // until the first change or heartbeat, and could not tell it is connected.
  res.flushHeaders();
  const send = (m: StreamMessage) => res.write(`${JSON.stringify(m)}\n`);

  let sent = 0;
  let caughtUp = false;
  const early: LoggedChange[] = [];
  const deliver = (c: LoggedChange) => {
    if (c.revision <= sent) return;
    if (isFollowerChange(c)) send({ type: 'change', change: c });
    sent = c.revision;
  };
  // Follow before reading the backlog so nothing committed in between is missed.
  const unfollow = store.hub.follow((c) => (caughtUp ? deliver(c) : early.push(c)));
  const heartbeat = setInterval(() => send({ type: 'heartbeat', revision: sent }), HEARTBEAT_MS);
  const stop = () => {
    unfollow();
    clearInterval(heartbeat);
  };
  res.on('close', stop);

  void (async () => {
    const [oldest, latest] = await Promise.all([oldestRevision(store.db), latestRevision(store.db)]);
    // Revisions before `oldest` may have been pruned; a follower that far back needs a snapshot.
    if (since === 0 || since > latest || since < oldest - 1) {
      const snapshot = await store.read((db) => readSnapshot(db));
      send({ type: 'snapshot', snapshot });
      sent = snapshot.revision;
    } else {
      sent = since;
      for (;;) {
        const page = await changesSince(store.db, sent, BACKLOG_PAGE);
        page.forEach(deliver);
        if (page.length < BACKLOG_PAGE) break;
      }
    }
    early.forEach(deliver);
    early.length = 0;
    caughtUp = true;
  })().catch((err: unknown) => {
    req.log.error({ err }, 'change stream failed');
    stop();
    res.destroy();
  });
}
