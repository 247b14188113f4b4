// Sessions with two servers on one PostgreSQL: the cell follows one server's stream, the caller asks the
// other. The order crosses between the servers (NOTIFY, nothing stored); the cell's dial-back is refused
// by the server that awaits nothing and taken by the one that does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import type { FollowedMessage } from '../../../src/cell/stream-reader.js';
import { SECRET_HEADER } from '../../../src/contract/session.js';
import { dialSession, RefusedSession } from '../../../src/session/dial.js';
import { encodeFrame, FrameReader, FrameType, type Frame } from '../../../src/session/frames.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { testDatabases } from '../../helpers/databases.js';
import { created } from '../../helpers/fixtures.js';
import { watch, type Watch } from '../../helpers/watch.js';
import { addressIn, seedPlatform, type Platform } from './platform.js';

const databases = testDatabases();

function framesOf(stream: Duplex): Promise<Frame[]> {
  const reader = new FrameReader(new Set(Object.values(FrameType)));
  const frames: Frame[] = [];
  stream.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  return new Promise((resolve) => stream.once('close', () => resolve(frames)));
}

describe('a session across two servers on one PostgreSQL', () => {
  let database = '';
  let a: TestServer;
  let b: TestServer;
  let p: Platform;
  let cellStream: Watch;

  const dial = (server: TestServer, path: string, token: string, headers: Record<string, string> = {}) =>
    dialSession(
      `${server.url}${path}`,
      server.caPem,
      { authorization: `Bearer ${token}`, ...headers },
      5_000,
    );

  before(async () => {
    database = (await databases.fresh('postgres', 'sessions')) ?? '';
    a = await startServer({ database });
    b = await startServer({ database, adminToken: a.adminToken });
    p = await seedPlatform(a);
    const instance = await p.instanceOf('a1');
    await created(
      a.api(
        'PUT',
        `/v1/cells/c1/instances/${instance.guid}`,
        { state: 'RUNNING', ip: addressIn(p.c1.subnet, 10) },
        p.c1.token,
      ),
    );
    cellStream = await watch(a, 0, p.c1.token);
  });

  after(async () => {
    cellStream?.close();
    for (const s of [a, b]) await s?.stop();
    await databases.stop();
  });

  test('the caller on one server reaches the cell following the other', async () => {
    const caller = dial(b, `/v1/apps/${p.apps.a1!.guid}/instances/0/ssh?command=true`, p.devA);
    const order = (await cellStream.until((m) => m.type === 'session', 'a session order')) as Extract<
      FollowedMessage,
      { type: 'session' }
    >;
    const path = `/v1/cells/c1/sessions/${order.id}`;
    const headers = { [SECRET_HEADER]: order.secret };
    const atA = await dial(a, path, p.c1.token, headers).then(
      (s) => (s.destroy(), 0),
      (err: unknown) => (err instanceof RefusedSession ? err.status : -1),
    );
    assert.equal(atA, 404, 'the server that awaits nothing refuses the dial-back');
    const cell = await dial(b, path, p.c1.token, headers);
    const callerStream = await caller;
    // As the CLI and the cell do: the relay ends both sides, maybe with a reset; 'close' says it ended.
    for (const side of [cell, callerStream]) side.on('error', () => undefined);
    const heard = framesOf(callerStream);
    cell.end(Buffer.concat([encodeFrame(FrameType.stdout, 'over b'), encodeFrame(FrameType.exit, '0')]));
    const frames = await heard;
    assert.equal(
      Buffer.concat(frames.filter((f) => f.type === FrameType.stdout).map((f) => f.payload)).toString(),
      'over b',
    );
  });

  test('the secret is stored in no table of the database', async () => {
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const orders = cellStream.messages.filter((m) => m.type === 'session');
      assert.ok(orders.length > 0);
      const tables = await client.query<{ name: string }>(
        "select table_name as name from information_schema.tables where table_schema = 'public'",
      );
      let dump = '';
      for (const { name } of tables.rows) {
        const rows = await client.query<{ t: string | null }>(
          `select string_agg(row_to_json(r)::text, ' ') as t from "${name}" r`,
        );
        dump += rows.rows[0]?.t ?? '';
      }
      assert.match(dump, /"c1"/, 'the dump holds the cell’s rows');
      for (const o of orders) assert.ok(!dump.includes(o.secret));
    } finally {
      await client.end();
    }
  });
});
