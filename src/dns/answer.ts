import dnsPacket from 'dns-packet';
import type { Answer, OptAnswer, Packet, Question, SoaAnswer } from 'dns-packet';
import { canonicalName, enclosingDomain, type Zone } from './zone.js';

export type AnswerResult = { response: Packet } | { forward: true };

export interface AnswerOptions {
  /** TTL of answers and of negative answers (SOA minimum), in seconds: short, so changes show fast. */
  ttl?: number;
}

const DEFAULT_TTL = 1;
/** The EDNS payload size we advertise: the DNS flag day 2020 value, safe from fragmentation. */
const EDNS_PAYLOAD_SIZE = 1232;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const OPCODE_MASK = 0x7800;
const CLIENT_FLAGS = dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED;

/**
 * Answers a decoded query from the zone, or says it belongs to the host's resolver.
 * Names in internal domains are answered authoritatively; everything else is forwarded.
 */
export function answerQuery(query: Packet, zone: Zone, opts: AnswerOptions = {}): AnswerResult {
  const ttl = opts.ttl ?? DEFAULT_TTL;
  const flags = query.flags ?? 0;
  if ((flags & OPCODE_MASK) !== 0) return { response: reply(query, [], RCODE.NOTIMP) };
  const question = query.questions?.length === 1 ? query.questions[0] : undefined;
  if (question === undefined) return { response: reply(query, [], RCODE.FORMERR) };

  const name = canonicalName(question.name);
  const domain = enclosingDomain(zone, name);
  if (domain === undefined) return { forward: true };
  if ((question.class ?? 'IN') !== 'IN') return { response: reply(query, [question], RCODE.REFUSED) };

  const authoritative = dnsPacket.AUTHORITATIVE_ANSWER;
  const soa = soaRecord(domain, zone, ttl);
  // dns-packet decodes qtype 255 as 'ANY', which its types leave out.
  const type: string = question.type;
  const addresses = zone.records.get(name);
  if (addresses !== undefined) {
    if (type !== 'A' && type !== 'ANY') {
      return { response: reply(query, [question], RCODE.NOERROR, authoritative, [], [soa]) };
    }
    const answers: Answer[] = addresses.map((ip) => ({ name: question.name, type: 'A', ttl, data: ip }));
    return { response: reply(query, [question], RCODE.NOERROR, authoritative, answers) };
  }
  // The apex exists (it owns the SOA): NXDOMAIN there would tell RFC 8020 resolvers that nothing below exists.
  if (name === domain) {
    const answers = type === 'SOA' || type === 'ANY' ? [{ ...soa, name: question.name }] : [];
    return {
      response: reply(query, [question], RCODE.NOERROR, authoritative, answers, answers.length ? [] : [soa]),
    };
  }
  return { response: reply(query, [question], RCODE.NXDOMAIN, authoritative, [], [soa]) };
}

/** A SERVFAIL for a query we could not get answered upstream. */
export function serverFailure(query: Packet): Packet {
  return reply(query, query.questions ?? [], RCODE.SERVFAIL);
}

/** The UDP payload a client accepts: 512 bytes, or what its EDNS record says (RFC 6891). */
export function udpPayloadLimit(query: Packet): number {
  const opt = findOpt(query);
  return opt === undefined ? 512 : Math.min(Math.max(opt.udpPayloadSize, 512), EDNS_PAYLOAD_SIZE);
}

/** The same response with only its header, question and EDNS record, flagged TC so the client retries over TCP. */
export function truncated(response: Packet): Packet {
  return {
    ...response,
    flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    answers: [],
    authorities: [],
  };
}

function reply(
  query: Packet,
  questions: Question[],
  rcode: number,
  extraFlags = 0,
  answers: Answer[] = [],
  authorities: Answer[] = [],
): Packet {
  const flags =
    ((query.flags ?? 0) & (CLIENT_FLAGS | OPCODE_MASK)) | dnsPacket.RECURSION_AVAILABLE | extraFlags;
  const additionals: Answer[] = findOpt(query) === undefined ? [] : [ednsRecord()];
  return {
    id: query.id ?? 0,
    type: 'response',
    flags: flags | rcode,
    questions,
    answers,
    authorities,
    additionals,
  };
}

function soaRecord(domain: string, zone: Zone, ttl: number): SoaAnswer {
  return {
    name: domain,
    type: 'SOA',
    ttl,
    data: {
      mname: domain,
      rname: `hostmaster.${domain}`,
      serial: zone.revision >>> 0,
      refresh: 60,
      retry: 60,
      expire: 3600,
      minimum: ttl,
    },
  };
}

function findOpt(query: Packet): OptAnswer | undefined {
  return query.additionals?.find((record): record is OptAnswer => record.type === 'OPT');
}

function ednsRecord(): OptAnswer {
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: EDNS_PAYLOAD_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}
