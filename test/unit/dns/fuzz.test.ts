import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';
import { Responder, type Transport } from '../../../src/dns/responder.js';
import { buildZone } from '../../../src/dns/zone.js';
import { snapshot } from './fixtures.js';
import { prng } from '../../helpers/fuzz.js';

/** Fixed unless DNS_FUZZ_SEED says otherwise, so a failure names the seed and case that reproduce it. */
const SEED = Number(process.env.DNS_FUZZ_SEED ?? 0x5eed);
const CASES_PER_KIND = 2000;

const VALID: Packet[] = [
  {
    id: 1,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'app-b.apps.internal', type: 'A' }],
  },
  { id: 2, type: 'query', questions: [{ name: '0.app-b.apps.internal', type: 'AAAA' }] },
  { id: 3, type: 'query', questions: [{ name: 'ghost.apps.internal', type: 'TXT' }] },
  {
    id: 4,
    type: 'query',
    questions: [{ name: 'example.com', type: 'A' }],
    additionals: [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: 4096,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: true,
        options: [{ code: 10, data: Buffer.from('0123456789abcdef', 'hex') }],
      },
    ],
  },
  {
    id: 5,
    type: 'response',
    questions: [{ name: 'apps.internal', type: 'SOA' }],
    answers: [
      { name: 'apps.internal', type: 'SOA', data: { mname: 'a', rname: 'b' } },
      { name: 'apps.internal', type: 'TXT', data: ['x', 'y'] },
      { name: 'apps.internal', type: 'SRV', data: { port: 1, target: 'z' } },
    ],
  },
].map((packet) => packet as Packet);
const VALID_WIRE = VALID.map((packet) => dnsPacket.encode(packet));

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  assert.ok(item !== undefined);
  return item;
}

/** A query header with `count` questions, followed by `body`. */
function withHeader(body: Buffer, count = 1): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0xbeef, 0);
  header.writeUInt16BE(count, 4);
  return Buffer.concat([header, body]);
}

const generators: Record<string, (random: () => number) => Buffer> = {
  'random bytes': (random) => randomBytes(random, Math.floor(random() * 600)),
  'truncated valid packets': (random) => {
    const valid = pick(random, VALID_WIRE);
    return valid.subarray(0, Math.floor(random() * valid.length));
  },
  'bit-flipped valid packets': (random) => {
    const mutated = Buffer.from(pick(random, VALID_WIRE));
    const flips = 1 + Math.floor(random() * 8);
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(random() * mutated.length);
      mutated[at] = (mutated[at] ?? 0) ^ (1 << Math.floor(random() * 8));
    }
    return mutated;
  },
  'huge label and question counts': (random) => {
    const labels = 1 + Math.floor(random() * 300);
    const labelLength = 1 + Math.floor(random() * 63);
    const label = Buffer.concat([Buffer.from([labelLength]), Buffer.alloc(labelLength, 0x61)]);
    const name = Buffer.concat([...Array<Buffer>(labels).fill(label), Buffer.from([0, 0, 1, 0, 1])]);
    return withHeader(name, Math.floor(random() * 0x10000));
  },
  'compression pointer loops': (random) => {
    const loops = [
      Buffer.from([0xc0, 0x0c, 0, 1, 0, 1]), // points at itself
      Buffer.from([1, 0x61, 0xc0, 0x0c, 0, 1, 0, 1]), // label then back to its own start
      Buffer.from([0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1]), // two pointers chasing each other
      Buffer.from([0xc0, 0xff, 0, 1, 0, 1]), // forward, past the end
      Buffer.from([0xc0]), // pointer cut in half
    ];
    return withHeader(pick(random, loops), 1 + Math.floor(random() * 3));
  },
};

function responder(): Responder {
  const handler = new Responder({ maxCacheEntries: 500 });
  handler.setZone(buildZone(snapshot()));
  return handler;
}

function assertStillAnswers(handler: Responder): void {
  const outcome = handler.handle(dnsPacket.encode(VALID[0] ?? {}), 'udp');
  assert.ok('reply' in outcome);
  const reply = dnsPacket.decode(outcome.reply);
  assert.equal(reply.id, 1);
  assert.equal(reply.answers?.length, 3);
}

for (const [kind, generate] of Object.entries(generators)) {
  test(`${kind}: no exception escapes and valid queries are still answered`, () => {
    const random = prng(SEED);
    const handler = responder();
    for (let i = 0; i < CASES_PER_KIND; i++) {
      const packet = generate(random);
      const transport: Transport = random() < 0.5 ? 'udp' : 'tcp';
      const context = `seed ${SEED}, case ${i}, packet ${packet.toString('hex')}`;
      let outcome;
      try {
        outcome = handler.handle(packet, transport);
      } catch (error) {
        assert.fail(`handler threw ${String(error)} (${context})`);
      }
      if ('reply' in outcome) {
        assert.ok(outcome.reply.length >= 12, context);
        assert.equal(outcome.reply.readUInt16BE(0), packet.readUInt16BE(0), context);
        if (transport === 'udp') assert.ok(outcome.reply.length <= 1232, context);
      }
    }
    assertStillAnswers(handler);
  });
}
