// Follows GET /v1/watch as a cell would (the cell's own line splitter and snapshot assembly), keeping
// every message it received, in order, and the length of every line.
import type http from 'node:http';
import https from 'node:https';
import type { StreamMessage } from '../../src/contract/stream.js';
import { LineSplitter, SnapshotAssembler, type FollowedMessage } from '../../src/cell/stream-reader.js';

const WAIT_MS = 30_000;

export interface Watch {
  /** A snapshot appears once, whole, where its last piece arrived. */
  readonly messages: FollowedMessage[];
  /** The length in bytes of every line received. */
  readonly lineBytes: number[];
  /** Resolves with the first message (seen already or yet to come) that matches. */
  until(match: (m: FollowedMessage) => boolean, what: string): Promise<FollowedMessage>;
  /** Resolves once the server ended the stream. */
  ended(): Promise<void>;
  close(): void;
}

/** Follows `server` (a control plane the helpers started) as `token`, its admin's by default. */
export async function watch(
  server: { url: string; adminToken: string; caPem: string },
  since: number,
  token = server.adminToken,
): Promise<Watch> {
  const req = https.get(`${server.url}/v1/watch?since=${since}`, {
    ca: server.caPem,
    headers: { authorization: `Bearer ${token}` },
  });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  res.setEncoding('utf8');
  if (res.statusCode !== 200) {
    let body = '';
    for await (const chunk of res) body += String(chunk);
    throw new Error(`watch answered ${res.statusCode}: ${body}`);
  }

  const messages: FollowedMessage[] = [];
  const lineBytes: number[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  // No limit here: the tests check line lengths themselves, and must see a line that is too long.
  const lines = new LineSplitter(Infinity);
  const snapshot = new SnapshotAssembler();
  res.on('data', (chunk: string) => {
    for (const line of lines.push(chunk)) {
      lineBytes.push(Buffer.byteLength(line) + 1);
      const m = snapshot.accept(JSON.parse(line) as StreamMessage);
      if (m) messages.push(m);
    }
    waiters.forEach((w) => w());
  });
  const end = () => {
    finished = true;
    waiters.forEach((w) => w());
  };
  res.once('close', end);
  req.once('error', end);

  const waitFor = <T>(found: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value !== undefined) done(() => resolve(value));
        else if (finished) done(() => reject(new Error(`waiting for ${what}: the change stream ended`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`))),
        WAIT_MS,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  return {
    messages,
    lineBytes,
    until: (match, what) => waitFor(() => messages.find(match), what),
    ended: () => waitFor(() => (finished ? true : undefined), 'the end of the stream').then(() => undefined),
    close: () => req.destroy(),
  };
}
