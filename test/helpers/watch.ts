// Follows GET /v1/watch as a cell would, keeping every message it received, in order.
import type { StreamMessage } from '../../src/api/stream.js';

const WAIT_MS = 30_000;

export interface Watch {
  readonly messages: StreamMessage[];
  /** Resolves with the first message (seen already or yet to come) that matches. */
  until(match: (m: StreamMessage) => boolean, what: string): Promise<StreamMessage>;
  close(): void;
}

export async function watch(url: string, token: string, since: number): Promise<Watch> {
  const abort = new AbortController();
  const res = await fetch(`${url}/v1/watch?since=${since}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
  const messages: StreamMessage[] = [];
  const waiters = new Set<() => void>();
  let ended: Error | null = null;

  void (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          messages.push(JSON.parse(buffered.slice(0, newline)) as StreamMessage);
          buffered = buffered.slice(newline + 1);
        }
        waiters.forEach((w) => w());
      }
      ended = new Error('the change stream ended');
    } catch (err) {
      ended = err instanceof Error ? err : new Error(String(err));
    }
    waiters.forEach((w) => w());
  })();

  return {
    messages,
    until(match, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) done(() => resolve(found));
          else if (ended) done(() => reject(new Error(`waiting for ${what}: ${ended?.message}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`))), WAIT_MS);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
