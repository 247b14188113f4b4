// unbound's counters (`stats_noreset`, cumulative) as the DNS metrics weft promises. Pure.

export interface DnsStats {
  /** Every query unbound took in from the networks that may ask, over UDP and TCP. */
  queries: number;
  /** Answered without asking upstream: from the internal zone or unbound's cache. */
  answered: number;
  /** Sent on to the host's resolvers. */
  forwarded: number;
  /** Dropped unanswered: their source was over its rate. */
  rateLimited: number;
  /** From outside the networks that may ask: answered REFUSED, and not among `queries`. */
  refused: number;
  /** Answered SERVFAIL: no upstream resolver gave an answer. */
  upstreamFailures: number;
  tcpQueries: number;
  /** TCP connections open now. */
  tcpConnectionsOpen: number;
}

/** Parses `name=value` lines. */
export function parseStatLines(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

export function dnsStats(text: string): DnsStats {
  const values = parseStatLines(text);
  const value = (name: string): number => values.get(name) ?? 0;
  const queries = value('total.num.queries');
  const rateLimited = value('total.num.queries_ip_ratelimited');
  const forwarded = value('total.num.cachemiss');
  return {
    queries,
    answered: Math.max(0, queries - forwarded - rateLimited),
    forwarded,
    rateLimited,
    refused: value('unwanted.queries'),
    upstreamFailures: value('num.answer.rcode.SERVFAIL'),
    tcpQueries: value('num.query.tcp'),
    tcpConnectionsOpen: value('total.tcpusage'),
  };
}
