// `weft ssh` and `weft logs` sessions, attacked. The control plane asks the cell (over its stream) to dial
// back with a one-time secret; here a test plays that cell. A tenant cannot reach another space's
// instance (404, as a missing one), a cell token cannot open a shell, another cell cannot take the
// session, a forged or replayed secret is refused, a revoked token's session is cut, and bounds hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { FollowedMessage } from '../../../src/cell/stream-reader.js';
import { SECRET_HEADER } from '../../../src/contract/session.js';
import { dialSession, RefusedSession } from '../../../src/session/dial.js';
import { encodeFrame, FrameReader, FrameType, type Frame } from '../../../src/session/frames.js';
import type { TestServer } from '../../helpers/control-plane.js';
import { created } from '../../helpers/fixtures.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../../helpers/control-plane.js';
import { watch, type Watch } from '../../helpers/watch.js';
import { addressIn, seedPlatform, startPlatform, type Platform } from './platform.js';

type Order = Extract<FollowedMessage, { type: 'session' }>;
const ALL_FRAMES = new Set(Object.values(FrameType));

/** Every frame the stream carries until it closes. */
function framesOf(stream: Duplex): Promise<Frame[]> {
  const reader = new FrameReader(ALL_FRAMES);
  const frames: Frame[] = [];
  stream.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  return new Promise((resolve) => stream.once('close', () => resolve(frames)));
}

/** Resolves with the first frame of `type`, as it arrives. */
function nextFrame(stream: Duplex, type: FrameType): Promise<Frame> {
  const reader = new FrameReader(ALL_FRAMES);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const f = reader.push(chunk).find((x) => x.type === type);
      if (f !== undefined) {
        stream.off('data', onData);
        resolve(f);
      }
    };
    stream.on('data', onData);
    stream.once('close', () => reject(new Error(`the stream closed before a frame of type ${type}`)));
  });
}

const text = (frames: Frame[], type: FrameType) =>
  frames
    .filter((f) => f.type === type)
    .map((f) => f.payload.toString())
    .join('');

/**
 * A session stream as the tests dial it. The server destroys a cell's stream once its session ended, which
 * may reset the test's end of it: what each test checks is the frames and the close, and an unheard
 * 'error' would fail the whole run.
 */
async function openSession(url: string, caPem: string, headers: Record<string, string>): Promise<Duplex> {
  const s = await dialSession(url, caPem, headers, 5_000);
  s.on('error', () => undefined);
  return s;
}

async function refusal(attempt: Promise<Duplex>): Promise<RefusedSession> {
  try {
    (await attempt).destroy();
  } catch (err) {
    if (err instanceof RefusedSession) return err;
    throw err;
  }
  assert.fail('the session was opened');
}

describe('sessions through the control plane under attack', () => {
  let server: TestServer;
  let p: Platform;
  let c1Watch: Watch;
  let a1Instance: string;
  const taken = new Set<string>();
  const opened: Duplex[] = [];

  const dial = async (path: string, token: string, headers: Record<string, string> = {}) => {
    const s = await openSession(`${server.url}${path}`, server.caPem, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    opened.push(s);
    return s;
  };
  const ssh = (app: string, token: string, query = 'command=cat') =>
    dial(`/v1/apps/${p.apps[app]!.guid}/instances/0/ssh?${query}`, token);
  /** The next session order the control plane sent cell c1. */
  const nextOrder = async (): Promise<Order> => {
    const m = await c1Watch.until((x) => x.type === 'session' && !taken.has(x.id), 'a session order');
    assert.equal(m.type, 'session');
    taken.add(m.id);
    return m;
  };
  const dialBack = (cellId: string, id: string, token: string, secret: string) =>
    dial(`/v1/cells/${cellId}/sessions/${id}`, token, { [SECRET_HEADER]: secret });

  before(async () => {
    ({ server, p } = await startPlatform());
    const instance = await p.instanceOf('a1');
    assert.equal(instance.cellId, 'c1');
    a1Instance = instance.guid;
    await created(
      server.api(
        'PUT',
        `/v1/cells/c1/instances/${instance.guid}`,
        { state: 'RUNNING', ip: addressIn(p.c1.subnet, 10) },
        p.c1.token,
      ),
    );
    c1Watch = await watch(server, 0, p.c1.token);
  });

  after(async () => {
    opened.forEach((s) => s.destroy());
    c1Watch.close();
    await server.stop();
  });

  test('a developer’s command reaches the cell that dials back; stdin, output and exit code cross', async () => {
    const caller = ssh('a1', p.devA, 'command=cat');
    const order = await nextOrder();
    assert.deepEqual(order.request, {
      kind: 'ssh',
      instanceGuid: a1Instance,
      command: 'cat',
      tty: false,
      term: 'dumb',
      cols: 80,
      rows: 24,
    });
    const cell = await dialBack('c1', order.id, p.c1.token, order.secret);
    const stream = await caller;
    const heard = framesOf(stream);
    stream.write(encodeFrame(FrameType.stdin, 'hello'));
    stream.write(encodeFrame(FrameType.stdinEnd));
    const input = await nextFrame(cell, FrameType.stdin);
    assert.equal(input.payload.toString(), 'hello');
    await nextFrame(cell, FrameType.stdinEnd);
    cell.write(encodeFrame(FrameType.stdout, 'olleh'));
    cell.end(encodeFrame(FrameType.exit, '3'));
    const frames = await heard;
    assert.equal(text(frames, FrameType.stdout), 'olleh');
    assert.equal(text(frames, FrameType.exit), '3');
  });

  test('another space’s developer gets 404, word for word as for an app that does not exist', async () => {
    const other = await refusal(ssh('a1', p.devB));
    const missingGuid = randomUUID();
    const missing = await refusal(dial(`/v1/apps/${missingGuid}/instances/0/ssh?command=id`, p.devB));
    assert.equal(other.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(
      other.message.replace(p.apps.a1!.guid, 'GUID'),
      missing.message.replace(missingGuid, 'GUID'),
    );
    const logs = await refusal(dial(`/v1/apps/${p.apps.a1!.guid}/logs`, p.devB));
    assert.equal(logs.status, 404);
  });

  test('a cell token cannot open a shell or read logs, even on its own cell', async () => {
    assert.equal((await refusal(ssh('a1', p.c1.token))).status, 403);
    assert.equal((await refusal(dial(`/v1/apps/${p.apps.a1!.guid}/logs`, p.c1.token))).status, 403);
  });

  test('another cell cannot take the session; a forged secret is refused; the secret works once', async () => {
    const caller = ssh('a1', p.devA, 'command=id');
    const order = await nextOrder();
    assert.equal((await refusal(dialBack('c1', order.id, p.c2.token, order.secret))).status, 403);
    assert.equal((await refusal(dialBack('c2', order.id, p.c2.token, order.secret))).status, 404);
    const forged = Buffer.alloc(32, 7).toString('base64url');
    assert.equal((await refusal(dialBack('c1', order.id, p.c1.token, forged))).status, 404);
    const cell = await dialBack('c1', order.id, p.c1.token, order.secret);
    assert.equal((await refusal(dialBack('c1', order.id, p.c1.token, order.secret))).status, 404);
    const heard = framesOf(await caller);
    cell.end(encodeFrame(FrameType.exit, '0'));
    assert.equal(text(await heard, FrameType.exit), '0');
  });

  test('a session request that is not an upgrade is refused before anything reaches a cell', async () => {
    const r = await server.api(
      'GET',
      `/v1/apps/${p.apps.a1!.guid}/instances/0/ssh?command=id`,
      undefined,
      p.devA,
    );
    assert.equal(r.status, 426);
  });

  test('a caller that sends the instance’s frame types is cut off', async () => {
    const caller = ssh('a1', p.devA);
    const order = await nextOrder();
    const cell = await dialBack('c1', order.id, p.c1.token, order.secret);
    const cellClosed = new Promise((r) => cell.once('close', r));
    const stream = await caller;
    const heard = framesOf(stream);
    stream.write(encodeFrame(FrameType.exit, '0'));
    assert.match(text(await heard, FrameType.error), /not admitted/);
    await cellClosed;
  });

  test('revoking the token cuts its open session and refuses new ones', async () => {
    const { token } = await created<{ token: string }>(
      server.api('POST', '/v1/tokens', {
        name: 'dev-a-short',
        role: 'space_developer',
        spaceGuids: [p.spaceA.guid],
      }),
    );
    const caller = ssh('a1', token);
    const order = await nextOrder();
    const cell = await dialBack('c1', order.id, p.c1.token, order.secret);
    const cellClosed = new Promise((r) => cell.once('close', r));
    const heard = framesOf(await caller);
    assert.equal((await server.api('DELETE', '/v1/tokens/dev-a-short')).status, 204);
    const frames = await heard;
    assert.match(text(frames, FrameType.error), /revoked/);
    assert.equal(text(frames, FrameType.exit), '255');
    await cellClosed;
    assert.equal((await refusal(ssh('a1', token))).status, 401);
  });

  test('a token holds at most 8 sessions; a cell that never dials back leaves the caller a 504', async () => {
    const waiting = Array.from({ length: 8 }, () => refusal(ssh('a1', p.devA, 'command=true')));
    for (let i = 0; i < 8; i++) await nextOrder();
    const ninth = await refusal(ssh('a1', p.devA, 'command=true'));
    assert.equal(ninth.status, 429);
    for (const r of await Promise.all(waiting)) assert.equal(r.status, 504);
  });

  test('no order reached a cell for any refused request', () => {
    const orders = c1Watch.messages.filter((m) => m.type === 'session');
    assert.equal(orders.length, taken.size);
  });
});

describe('a session outlives the API’s request and idle timeouts', () => {
  let server: TestServer;
  let p: Platform;
  let c1Watch: Watch;

  before(async () => {
    const timeouts = ['--headers-timeout', '1', '--request-timeout', '1', '--idle-timeout', '1'];
    server = await startServer({ flags: timeouts });
    p = await seedPlatform(server);
    const instance = await p.instanceOf('a1');
    await created(
      server.api(
        'PUT',
        `/v1/cells/c1/instances/${instance.guid}`,
        { state: 'RUNNING', ip: addressIn(p.c1.subnet, 10) },
        p.c1.token,
      ),
    );
    c1Watch = await watch(server, 0, p.c1.token);
  });

  after(async () => {
    c1Watch.close();
    await server.stop();
  });

  test('a quiet session lasting several timeouts still carries input and output', async () => {
    const headers = (token: string) => ({ authorization: `Bearer ${token}` });
    const caller = openSession(
      `${server.url}/v1/apps/${p.apps.a1!.guid}/instances/0/ssh?command=cat`,
      server.caPem,
      headers(p.devA),
    );
    const order = (await c1Watch.until((m) => m.type === 'session', 'a session order')) as Order;
    const cell = await openSession(`${server.url}/v1/cells/c1/sessions/${order.id}`, server.caPem, {
      ...headers(p.c1.token),
      [SECRET_HEADER]: order.secret,
    });
    const stream = await caller;
    const heard = framesOf(stream);
    await sleep(3_000);
    stream.write(encodeFrame(FrameType.stdin, 'still here'));
    assert.equal((await nextFrame(cell, FrameType.stdin)).payload.toString(), 'still here');
    cell.end(encodeFrame(FrameType.exit, '0'));
    assert.equal(text(await heard, FrameType.exit), '0');
  });
});
