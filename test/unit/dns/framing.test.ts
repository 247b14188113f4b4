import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, frame } from '../../../src/dns/framing.js';

const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(700, 7), Buffer.from('last')];
const stream = Buffer.concat(messages.map(frame));

test('a frame is the message behind its two-byte length', () => {
  assert.deepEqual(frame(Buffer.from('abc')), Buffer.from([0, 3, 0x61, 0x62, 0x63]));
});

test('a message too long for the length prefix is refused', () => {
  assert.throws(() => frame(Buffer.alloc(0x10000)), RangeError);
});

test('several messages in one chunk come out in order', () => {
  assert.deepEqual(new FrameReader().push(stream), messages);
});

test('messages split across chunks at every possible point are reassembled', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new FrameReader();
    const out = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    assert.deepEqual(out, messages, `cut at ${cut}`);
  }
});

test('a stream fed byte by byte yields each message once complete', () => {
  const reader = new FrameReader();
  const out: Buffer[] = [];
  for (const byte of stream) out.push(...reader.push(Buffer.from([byte])));
  assert.deepEqual(out, messages);
});
