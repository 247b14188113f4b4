import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { PinnedFetch } from '../../../src/ca/pinned-fetch.js';
import { Follower } from '../../../src/cell/follower.js';
import type { FollowedMessage } from '../../../src/cell/stream-reader.js';
import { ApiEndpoints } from '../../../src/endpoints/failover.js';

const refused = () =>
  Promise.reject(
    new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
  );

/** A stream that says one heartbeat, then stays open until the follower lets go. */
function talking(signal: AbortSignal | null | undefined): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"type":"heartbeat","revision":42}\n'));
      signal?.addEventListener('abort', () => controller.error(new Error('aborted')));
    },
  });
  return new Response(body, { status: 200 });
}

test('a follower whose first server is down resumes from its revision on the next one', async () => {
  const asked: string[] = [];
  const fetch = ((input: string, init?: { signal?: AbortSignal | null }) => {
    asked.push(String(input));
    return String(input).startsWith('https://a') ? refused() : Promise.resolve(talking(init?.signal));
  }) as unknown as PinnedFetch;
  let heard!: (m: FollowedMessage) => void;
  const first = new Promise<FollowedMessage>((resolve) => (heard = resolve));
  const servers = new ApiEndpoints(['https://a', 'https://b']);
  const follower = new Follower(
    servers,
    fetch,
    'token',
    'cell-1',
    { onMessage: (m) => heard(m), onConnected: () => undefined, revision: () => 42 },
    pino({ level: 'silent' }),
  );
  const running = follower.run();
  assert.deepEqual(await first, { type: 'heartbeat', revision: 42 });
  follower.stop();
  await running;
  assert.deepEqual(asked, [
    'https://a/v1/watch?since=42&cell=cell-1',
    'https://b/v1/watch?since=42&cell=cell-1',
  ]);
  assert.equal(servers.current, 'https://b');
});
