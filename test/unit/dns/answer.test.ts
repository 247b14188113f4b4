import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet, RecordType } from 'dns-packet';
import { answerQuery, serverFailure, truncated, udpPayloadLimit } from '../../../src/dns/answer.js';
import { buildZone } from '../../../src/dns/zone.js';
import { snapshot } from './fixtures.js';

const zone = buildZone(snapshot());

/** A query as it comes off the wire. */
function query(name: string, type: RecordType = 'A', extra: Packet = {}): DecodedPacket {
  return dnsPacket.decode(
    dnsPacket.encode({
      id: 4242,
      type: 'query',
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type }],
      ...extra,
    }),
  );
}

/** The response as the client decodes it. */
function answer(q: Packet, ttl?: number): DecodedPacket & { rcode?: string } {
  const result = answerQuery(q, zone, { ttl });
  assert.ok('response' in result, 'expected a local answer');
  return dnsPacket.decode(dnsPacket.encode(result.response));
}

test('a route name is answered with A records for all its instances', () => {
  const response = answer(query('app-b.apps.internal'));
  assert.equal(response.rcode, 'NOERROR');
  assert.deepEqual(
    response.answers?.map((a) => a.type === 'A' && a.data),
    ['10.250.1.2', '10.250.2.2', '10.250.1.3'],
  );
});

test('an index name is answered with that instance', () => {
  const response = answer(query('1.app-b.apps.internal'));
  assert.deepEqual(
    response.answers?.map((a) => a.type === 'A' && a.data),
    ['10.250.1.3'],
  );
});

test('the response echoes id and question and is authoritative', () => {
  const response = answer(query('app-b.apps.internal'));
  assert.equal(response.id, 4242);
  assert.deepEqual(response.questions, [{ name: 'app-b.apps.internal', type: 'A', class: 'IN' }]);
  assert.equal(response.flag_qr, true);
  assert.equal(response.flag_aa, true);
  assert.equal(response.flag_rd, true);
  assert.equal(response.flag_ra, true);
  assert.equal(response.flag_tc, false);
});

test('recursion desired is echoed, not invented', () => {
  const response = answer(query('app-b.apps.internal', 'A', { flags: 0 }));
  assert.equal(response.flag_rd, false);
});

test('answers carry the configured short TTL', () => {
  const response = answer(query('app-b.apps.internal'), 5);
  assert.ok(response.answers?.every((a) => a.type === 'A' && a.ttl === 5));
});

test('lookups ignore case and the question keeps the client’s case', () => {
  const response = answer(query('APP-b.Apps.INTERNAL.'));
  assert.equal(response.answers?.length, 3);
  assert.equal(response.questions?.[0]?.name, 'APP-b.Apps.INTERNAL');
});

test('an unknown name in an internal domain is NXDOMAIN, authoritative, with the SOA for negative caching', () => {
  const response = answer(query('nope.apps.internal'));
  assert.equal(response.rcode, 'NXDOMAIN');
  assert.equal(response.flag_aa, true);
  assert.equal(response.answers?.length, 0);
  const soa = response.authorities?.[0];
  assert.ok(soa?.type === 'SOA');
  assert.equal(soa.name, 'apps.internal');
  assert.equal(soa.data.minimum, 1);
  assert.equal(soa.data.serial, 7);
});

test('AAAA and other types for an existing name are NODATA', () => {
  for (const type of ['AAAA', 'MX', 'TXT'] as const) {
    const response = answer(query('app-b.apps.internal', type));
    assert.equal(response.rcode, 'NOERROR', type);
    assert.equal(response.answers?.length, 0, type);
    assert.equal(response.authorities?.[0]?.type, 'SOA', type);
  }
});

test('the domain apex exists: NODATA for A, its SOA for SOA', () => {
  const a = answer(query('apps.internal'));
  assert.equal(a.rcode, 'NOERROR');
  assert.equal(a.answers?.length, 0);
  const soa = answer(query('apps.internal', 'SOA'));
  assert.equal(soa.rcode, 'NOERROR');
  assert.equal(soa.answers?.[0]?.type, 'SOA');
});

test('names outside internal domains are forwarded', () => {
  assert.deepEqual(answerQuery(query('example.com'), zone), { forward: true });
  assert.deepEqual(answerQuery(query('internal'), zone), { forward: true });
  assert.deepEqual(answerQuery(query('xapps.internal'), zone), { forward: true });
});

test('a query without exactly one question is FORMERR', () => {
  const none = answer(query('x', 'A', { questions: [] }));
  assert.equal(none.rcode, 'FORMERR');
  const two = answer(
    query('x', 'A', {
      questions: [
        { name: 'app-b.apps.internal', type: 'A' },
        { name: 'example.com', type: 'A' },
      ],
    }),
  );
  assert.equal(two.rcode, 'FORMERR');
});

test('opcodes other than QUERY are not implemented', () => {
  const notify = answer(query('app-b.apps.internal', 'A', { flags: 4 << 11 }));
  assert.equal(notify.rcode, 'NOTIMP');
});

test('an internal name in another class is refused', () => {
  const chaos = answer(
    query('app-b.apps.internal', 'TXT', {
      questions: [{ name: 'app-b.apps.internal', type: 'TXT', class: 'CH' }],
    }),
  );
  assert.equal(chaos.rcode, 'REFUSED');
});

test('an EDNS query gets an EDNS response and a larger UDP limit', () => {
  const edns = query('app-b.apps.internal', 'A', {
    additionals: [
      {
        name: '.',
        type: 'OPT',
        udpPayloadSize: 4096,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  });
  assert.equal(udpPayloadLimit(edns), 1232);
  assert.equal(answer(edns).additionals?.[0]?.type, 'OPT');
  assert.equal(udpPayloadLimit(query('app-b.apps.internal')), 512);
  assert.equal(answer(query('app-b.apps.internal')).additionals?.length, 0);
});

test('a truncated response keeps the question and sets TC', () => {
  const result = answerQuery(query('app-b.apps.internal'), zone);
  assert.ok('response' in result);
  const cut = dnsPacket.decode(dnsPacket.encode(truncated(result.response)));
  assert.equal(cut.flag_tc, true);
  assert.equal(cut.answers?.length, 0);
  assert.equal(cut.questions?.[0]?.name, 'app-b.apps.internal');
});

test('SERVFAIL echoes the question', () => {
  const failure = dnsPacket.decode(dnsPacket.encode(serverFailure(query('example.com')))) as DecodedPacket & {
    rcode?: string;
  };
  assert.equal(failure.rcode, 'SERVFAIL');
  assert.equal(failure.id, 4242);
  assert.equal(failure.questions?.[0]?.name, 'example.com');
});
