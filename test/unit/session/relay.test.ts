// The relay between a caller and its cells, over connected socket pairs on a Unix socket.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { encodeFrame, FrameReader, FrameType, type Frame } from '../../../src/session/frames.js';
import { relay } from '../../../src/session/relay.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-relay-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const LONG = { idleMs: 60_000, lifetimeMs: 60_000 };
let n = 0;

/** Two connected ends: what the test holds, and what the relay holds. */
async function pair(): Promise<[Duplex, Duplex]> {
  const file = path.join(dir, `s${n++}`);
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(file, r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect(file);
  const inner = await accepted;
  server.close();
  return [client, inner];
}

function framesOf(s: Duplex): Promise<Frame[]> {
  const reader = new FrameReader(new Set(Object.values(FrameType)));
  const frames: Frame[] = [];
  s.on('data', (c: Buffer) => frames.push(...reader.push(c)));
  return new Promise((r) => s.once('close', () => r(frames)));
}

const text = (frames: Frame[], type: FrameType) =>
  frames
    .filter((f) => f.type === type)
    .map((f) => f.payload.toString())
    .join('');

test('several cells’ output reaches the caller, who hears one exit: the highest code', async () => {
  const [caller, callerInside] = await pair();
  const [c1, c1Inside] = await pair();
  const [c2, c2Inside] = await pair();
  const heard = framesOf(caller);
  const session = relay(callerInside, [c1Inside, c2Inside], LONG);
  c1.end(Buffer.concat([encodeFrame(FrameType.stdout, 'one\n'), encodeFrame(FrameType.exit, '0')]));
  c2.end(Buffer.concat([encodeFrame(FrameType.stdout, 'two\n'), encodeFrame(FrameType.exit, '2')]));
  const frames = await heard;
  assert.deepEqual(text(frames, FrameType.stdout).split('\n').sort(), ['', 'one', 'two']);
  assert.equal(text(frames, FrameType.exit), '2');
  await session.done;
});

test('a cell that hangs up without an exit frame gives the caller 255', async () => {
  const [caller, callerInside] = await pair();
  const [cell, cellInside] = await pair();
  const heard = framesOf(caller);
  relay(callerInside, [cellInside], LONG);
  cell.destroy();
  assert.equal(text(await heard, FrameType.exit), '255');
});

test('a cell that sends a caller’s frame type ends the session, and the caller is told why', async () => {
  const [caller, callerInside] = await pair();
  const [cell, cellInside] = await pair();
  const heard = framesOf(caller);
  relay(callerInside, [cellInside], LONG);
  cell.write(encodeFrame(FrameType.stdin, 'x'));
  const frames = await heard;
  assert.match(text(frames, FrameType.error), /not admitted/);
  assert.equal(text(frames, FrameType.exit), '255');
});

test('a quiet session is cut at its idle limit, and a busy one at its lifetime', async () => {
  for (const [limits, why] of [
    [{ idleMs: 50, lifetimeMs: 60_000 }, /idle/],
    [{ idleMs: 60_000, lifetimeMs: 50 }, /lifetime/],
  ] as const) {
    const [caller, callerInside] = await pair();
    const [cell, cellInside] = await pair();
    const cellClosed = new Promise((r) => cell.once('close', r));
    const heard = framesOf(caller);
    relay(callerInside, [cellInside], limits);
    assert.match(text(await heard, FrameType.error), why);
    await cellClosed;
  }
});

test('the caller’s stdin reaches the one cell; the caller leaving closes the cell’s stream', async () => {
  const [caller, callerInside] = await pair();
  const [cell, cellInside] = await pair();
  const atCell = framesOf(cell);
  relay(callerInside, [cellInside], LONG);
  caller.write(encodeFrame(FrameType.stdin, 'typed'));
  caller.end(encodeFrame(FrameType.stdinEnd));
  const frames = await atCell;
  assert.equal(text(frames, FrameType.stdin), 'typed');
  assert.ok(frames.some((f) => f.type === FrameType.stdinEnd));
});

test('a caller that left before the splice ends the session at once, and the cell’s stream with it', async () => {
  const [caller, callerInside] = await pair();
  const [cell, cellInside] = await pair();
  const cellClosed = new Promise((r) => cell.once('close', r));
  caller.destroy();
  await new Promise((r) => callerInside.once('close', r));
  const session = relay(callerInside, [cellInside], LONG);
  await cellClosed;
  await session.done;
});
