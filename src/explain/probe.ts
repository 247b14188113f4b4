// The pure half of `weft explain --probe`: the nftables rule that marks the probe's packets for tracing,
// what `nft monitor trace` printed about its first packet, and what curl's exit says about the connection.
// The cell's adapter (src/cell/probe.ts) runs them.
import type { ProbeOutcome, TraceVerdict } from '../contract/inspect.js';
import type { Protocol } from '../model/types.js';

const MAX_VERDICTS = 32;

/** The body of the tracing chain's one rule: only the probe's own flow is traced, and of TCP only the SYN. */
export function traceRule(srcIp: string, dstIp: string, protocol: Protocol, port: number): string {
  const first = protocol === 'tcp' ? ' tcp flags & (syn | ack) == syn' : '';
  return `ip saddr ${srcIp} ip daddr ${dstIp} ${protocol} dport ${port}${first} meta nftrace set 1`;
}

// "trace id 1a2b3c4d inet weft check_policy rule drop (verdict drop)"
const RULE = /^trace id (\S+) \S+ (\S+) (\S+) rule (.*) \(verdict ([^)]+)\)\s*$/;
// "trace id 1a2b3c4d inet weft prerouting_filter policy accept"
const POLICY = /^trace id (\S+) \S+ (\S+) (\S+) policy (\S+)\s*$/;

/**
 * The verdicts the first traced packet met, in order: every rule that decided something (not `continue`)
 * and every base chain's policy. The tracing table's own chain is left out.
 */
export function parseTrace(text: string, ownTable: string): TraceVerdict[] {
  let first: string | undefined;
  const verdicts: TraceVerdict[] = [];
  for (const line of text.split('\n')) {
    const rule = RULE.exec(line);
    const policy = rule === null ? POLICY.exec(line) : null;
    const m = rule ?? policy;
    if (m === null) continue;
    const [, id = '', table = '', chain = ''] = m;
    first ??= id;
    if (id !== first || table === ownTable) continue;
    const verdict = rule !== null ? (rule[5] ?? '') : `policy ${policy?.[4] ?? ''}`;
    if (verdict === 'continue') continue;
    verdicts.push({
      table: table.slice(0, 64),
      chain: chain.slice(0, 64),
      verdict: verdict.slice(0, 64),
      rule: (rule?.[4] ?? '').trim().slice(0, 300),
    });
    if (verdicts.length === MAX_VERDICTS) break;
  }
  return verdicts;
}

/**
 * What decided the packet's fate: the first drop or reject; else the last rule that accepted it (a chain's
 * default policy only says nothing stopped it there).
 */
export function finalVerdict(trace: TraceVerdict[]): TraceVerdict | undefined {
  return (
    trace.find((v) => /^(drop|reject|policy drop)/.test(v.verdict)) ??
    [...trace].reverse().find((v) => v.rule !== '' && v.verdict === 'accept') ??
    trace.at(-1)
  );
}

/**
 * What curl's exit code says (curl's documented codes): 0 and every code after the TCP handshake mean the
 * connection was made; 7 a refusal (RST or ICMP); 28 a timeout, unless a connect time was measured.
 */
export function curlOutcome(code: number, connectSeconds: number, tls: boolean): ProbeOutcome {
  if (code === 0) return 'connected';
  if (code === 7) return 'refused';
  if (code === 28) return connectSeconds > 0 ? 'connected' : 'timed-out';
  if (tls && (code === 60 || code === 51)) return 'certificate-rejected';
  if (tls && (code === 35 || code === 56)) return 'tls-refused';
  return connectSeconds > 0 ? 'connected' : 'error';
}
