import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';
import { Responder, type Outcome } from '../../../src/dns/responder.js';
import { buildZone } from '../../../src/dns/zone.js';
import { instance, snapshot } from './fixtures.js';

function wireQuery(name: string, id: number, type: RecordType = 'A'): Buffer {
  return dnsPacket.encode({
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type }],
  });
}

function decodedReply(outcome: Outcome): DecodedPacket & { rcode?: string } {
  assert.ok('reply' in outcome, `expected a reply, got ${JSON.stringify(outcome)}`);
  return dnsPacket.decode(outcome.reply);
}

function addresses(packet: DecodedPacket): unknown[] {
  return (packet.answers ?? []).map((a) => (a.type === 'A' ? a.data : a.type));
}

test('a repeated query is served from the cache with its own id', () => {
  const responder = new Responder();
  responder.setZone(buildZone(snapshot()));
  const first = decodedReply(responder.handle(wireQuery('app-b.apps.internal', 1), 'udp'));
  const second = decodedReply(responder.handle(wireQuery('app-b.apps.internal', 2), 'udp'));
  assert.equal(first.id, 1);
  assert.equal(second.id, 2);
  assert.deepEqual(addresses(second), addresses(first));
  assert.equal(responder.cacheHits, 1);
});

test('a new zone is visible to the very next query', () => {
  const responder = new Responder();
  responder.setZone(buildZone(snapshot()));
  assert.equal(
    addresses(decodedReply(responder.handle(wireQuery('app-b.apps.internal', 1), 'udp'))).length,
    3,
  );
  responder.setZone(buildZone(snapshot({ instances: [instance('b', 0, '10.250.9.9')] })));
  assert.deepEqual(addresses(decodedReply(responder.handle(wireQuery('app-b.apps.internal', 1), 'udp'))), [
    '10.250.9.9',
  ]);
});

test('names outside the internal domains are to be forwarded, cached or not', () => {
  const responder = new Responder();
  responder.setZone(buildZone(snapshot()));
  assert.deepEqual(responder.handle(wireQuery('example.com', 1), 'udp'), { forward: true });
  assert.deepEqual(responder.handle(wireQuery('example.com', 2), 'tcp'), { forward: true });
});

test('an answer too large for UDP is truncated there and whole over TCP', () => {
  const many = Array.from({ length: 40 }, (_, i) => instance('b', i, `10.250.3.${i + 1}`));
  const responder = new Responder();
  responder.setZone(buildZone(snapshot({ instances: many })));
  const udp = decodedReply(responder.handle(wireQuery('app-b.apps.internal', 9), 'udp'));
  assert.equal(udp.flag_tc, true);
  assert.equal(udp.answers?.length, 0);
  const tcp = decodedReply(responder.handle(wireQuery('app-b.apps.internal', 9), 'tcp'));
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers?.length, 40);
});

test('responses and runts are dropped', () => {
  const responder = new Responder();
  const response = dnsPacket.encode({
    id: 1,
    type: 'response',
    questions: [{ name: 'app-b.apps.internal', type: 'A' }],
  });
  assert.deepEqual(responder.handle(response, 'udp'), { drop: true });
  assert.deepEqual(responder.handle(Buffer.alloc(11), 'udp'), { drop: true });
});

test('the cache stays bounded and answers stay right when it overflows', () => {
  const responder = new Responder({ maxCacheEntries: 2 });
  responder.setZone(buildZone(snapshot()));
  for (let id = 0; id < 10; id++) {
    const index = id % 3;
    const name = index === 2 ? 'app-b.apps.internal' : `${index}.app-b.apps.internal`;
    const expected = index === 2 ? 3 : 2 - index;
    assert.equal(addresses(decodedReply(responder.handle(wireQuery(name, id), 'udp'))).length, expected);
  }
});

test('an unknown internal name is NXDOMAIN from the handler too', () => {
  const responder = new Responder();
  responder.setZone(buildZone(snapshot()));
  assert.equal(decodedReply(responder.handle(wireQuery('ghost.apps.internal', 3), 'tcp')).rcode, 'NXDOMAIN');
});
