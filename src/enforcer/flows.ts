// Pure selection of the conntrack entries a narrower policy set must end, and parsing of `conntrack -L` output.
import type { EnforcerDesired, L4Protocol } from './desired.js';
import { POLICY_KINDS, allowedRanges, elementsOf } from './elements.js';
import { cidrContains, isIpv4 } from '../network/cidr.js';
import { diffElements, structuralChange, type ElementChanges } from './plan.js';

/** The original-direction tuple of a tracked flow: what the initiator sent, before any DNAT. */
export interface Flow {
  protocol: L4Protocol;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

const TUPLE = /\bsrc=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/;

// A TCP flow in these states carries no more data; a new SYN on its tuple is judged as a new flow anyway.
const FINISHED_TCP = new Set(['TIME_WAIT', 'CLOSE']);

/**
 * Parses `conntrack -L -o extended` lines; keeps live IPv4 TCP and UDP flows, whose first tuple is the
 * original one.
 */
export function parseConntrackListing(text: string): Flow[] {
  const flows: Flow[] = [];
  for (const line of text.split('\n')) {
    const [family, , protocol, , , state] = line.trim().split(/\s+/);
    if (family !== 'ipv4' || (protocol !== 'tcp' && protocol !== 'udp')) continue;
    if (protocol === 'tcp' && state !== undefined && FINISHED_TCP.has(state)) continue;
    const m = TUPLE.exec(line);
    if (!m) continue;
    flows.push({ protocol, src: m[1] ?? '', dst: m[2] ?? '', sport: Number(m[3]), dport: Number(m[4]) });
  }
  return flows;
}

/**
 * Flows between two overlay addresses are held to the policies exactly as new flows are (see check_policy);
 * flows to or from the gateway are the host's own business. A flow whose end lost its tag is no longer allowed.
 */
export function flowsToEnd(flows: readonly Flow[], desired: EnforcerDesired): Flow[] {
  const elements = elementsOf(desired);
  const tagOf = new Map(elements.tags.map((t) => [t.ip, t.tag]));
  const inOverlay = (ip: string): boolean =>
    isIpv4(ip) && cidrContains(desired.overlayCidr, ip) && ip !== desired.gatewayIp;
  // Indexed by tag pair and protocol: a sweep looks at every flow, against up to 100k policies.
  const ranges = new Map<string, { startPort: number; endPort: number }[]>();
  for (const a of allowedRanges(elements)) {
    const key = `${a.srcTag}.${a.dstTag}.${a.protocol}`;
    const list = ranges.get(key);
    if (list) list.push(a);
    else ranges.set(key, [a]);
  }
  const allowed = (f: Flow): boolean =>
    (ranges.get(`${tagOf.get(f.src)}.${tagOf.get(f.dst)}.${f.protocol}`) ?? []).some(
      (a) => f.dport >= a.startPort && f.dport <= a.endPort,
    );
  return flows.filter((f) => inOverlay(f.src) && inOverlay(f.dst) && !allowed(f));
}

/** Whether going from `prev` to `next` can disallow a flow that was allowed (so conntrack needs a sweep). */
export function mayEndFlows(prev: EnforcerDesired | null, next: EnforcerDesired): boolean {
  if (prev === null || structuralChange(prev, next)) return true;
  return changesMayEndFlows(diffElements(prev, next));
}

/** Only a removed policy range or a removed (or re-tagged) address can end a flow that was allowed. */
export function changesMayEndFlows(changes: ElementChanges): boolean {
  return POLICY_KINDS.some((kind) => changes.deleted[kind].length > 0) || changes.deleted.tags.length > 0;
}

/**
 * Flows that share protocol, addresses and destination port share their verdict, so one `conntrack -D`
 * per such group ends them all; a client's many source ports then cost one call, not one each.
 */
export function flowGroups(flows: readonly Flow[]): Omit<Flow, 'sport'>[] {
  const groups = new Map<string, Omit<Flow, 'sport'>>();
  for (const { protocol, src, dst, dport } of flows) {
    groups.set(`${protocol} ${src} ${dst} ${dport}`, { protocol, src, dst, dport });
  }
  return [...groups.values()];
}
