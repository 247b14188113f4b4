import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CALLER_FRAMES,
  encodeData,
  encodeFrame,
  exitCode,
  FrameReader,
  FrameType,
  INSTANCE_FRAMES,
  MAX_FRAME_BYTES,
} from '../../../src/session/frames.js';

test('frames cut anywhere in the byte stream are read back whole, in order', () => {
  const bytes = Buffer.concat([
    encodeFrame(FrameType.stdout, 'hello'),
    encodeFrame(FrameType.stderr, ''),
    encodeFrame(FrameType.exit, '3'),
  ]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const reader = new FrameReader(INSTANCE_FRAMES);
    const frames = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
    assert.deepEqual(
      frames.map((f) => [f.type, f.payload.toString()]),
      [
        [FrameType.stdout, 'hello'],
        [FrameType.stderr, ''],
        [FrameType.exit, '3'],
      ],
    );
  }
});

test('data larger than a frame is split at the bound and joins back', () => {
  const data = Buffer.alloc(MAX_FRAME_BYTES * 2 + 5, 'x');
  const frames = encodeData(FrameType.stdin, data);
  assert.equal(frames.length, 3);
  const read = new FrameReader(CALLER_FRAMES).push(Buffer.concat(frames));
  assert.deepEqual(Buffer.concat(read.map((f) => f.payload)), data);
});

test('a frame longer than the bound is refused from its header, before its bytes are buffered', () => {
  const header = Buffer.alloc(5);
  header.writeUInt8(FrameType.stdout, 0);
  header.writeUInt32BE(MAX_FRAME_BYTES + 1, 1);
  assert.throws(() => new FrameReader(INSTANCE_FRAMES).push(header), /exceeds the bound/);
  assert.throws(() => encodeFrame(FrameType.stdout, Buffer.alloc(MAX_FRAME_BYTES + 1)), /exceeds/);
});

test('each side admits only its own frame types', () => {
  assert.throws(() => new FrameReader(CALLER_FRAMES).push(encodeFrame(FrameType.exit, '0')), /not admitted/);
  assert.throws(
    () => new FrameReader(INSTANCE_FRAMES).push(encodeFrame(FrameType.stdin, 'x')),
    /not admitted/,
  );
  assert.throws(() => new FrameReader(INSTANCE_FRAMES).push(Buffer.from([0, 0, 0, 0, 0])), /not admitted/);
});

test('an exit frame that does not carry a code between 0 and 255 reads as 255', () => {
  assert.equal(exitCode(Buffer.from('0')), 0);
  assert.equal(exitCode(Buffer.from('42')), 42);
  for (const bad of ['', '256', '-1', '1.5', 'x']) assert.equal(exitCode(Buffer.from(bad)), 255, bad);
});
