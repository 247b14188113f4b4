// The contents of weft's nft sets and maps: computed from the desired state, rendered for nft, read back from `nft -j`.
import type { EnforcerDesired, L4Protocol } from './desired.js';

export interface AllowedRange {
  srcTag: number;
  dstTag: number;
  protocol: L4Protocol;
  startPort: number;
  endPort: number;
}

export interface EnforcerElements {
  antiSpoof: { iface: string; ip: string }[];
  tags: { ip: string; tag: number }[];
  /**
   * Policies on one port go to a hash set, cheap to load and to change even at 100k elements; policies on
   * port ranges to an interval set, which costs more per element. One set of each per protocol keeps the
   * protocol out of the elements: nft parses three fields per element faster than four.
   */
  tcpPorts: AllowedRange[];
  udpPorts: AllowedRange[];
  tcpRanges: AllowedRange[];
  udpRanges: AllowedRange[];
  hostServices: { protocol: L4Protocol; port: number }[];
  proxyForwards: { ip: string; port: number; toIp: string; toPort: number }[];
  peerHosts: { ip: string }[];
}

export type ElementKind = keyof EnforcerElements;

/** nft set or map holding each kind of element. */
export const SET_NAME: Record<ElementKind, string> = {
  antiSpoof: 'spoof',
  tags: 'tags',
  tcpPorts: 'tcp_ports',
  udpPorts: 'udp_ports',
  tcpRanges: 'tcp_ranges',
  udpRanges: 'udp_ranges',
  hostServices: 'host_services',
  proxyForwards: 'proxy',
  peerHosts: 'peer_hosts',
};

export const ELEMENT_KINDS = Object.keys(SET_NAME) as ElementKind[];

/**
 * The kernel refuses overlapping intervals in a concatenated set, so policies that overlap or touch on the
 * same src/dst/protocol become one range. Element count stays at most the number of policies.
 */
export function mergePolicies(policies: readonly AllowedRange[]): AllowedRange[] {
  const sorted = [...policies].sort(
    (a, b) =>
      a.srcTag - b.srcTag ||
      a.dstTag - b.dstTag ||
      (a.protocol === b.protocol ? 0 : a.protocol < b.protocol ? -1 : 1) ||
      a.startPort - b.startPort ||
      a.endPort - b.endPort,
  );
  const merged: AllowedRange[] = [];
  for (const p of sorted) {
    const last = merged.at(-1);
    const sameFlow =
      last !== undefined &&
      last.srcTag === p.srcTag &&
      last.dstTag === p.dstTag &&
      last.protocol === p.protocol;
    if (sameFlow && p.startPort <= last.endPort + 1) {
      last.endPort = Math.max(last.endPort, p.endPort);
    } else {
      merged.push({ ...p });
    }
  }
  return merged;
}

export type PolicyKind = 'tcpPorts' | 'udpPorts' | 'tcpRanges' | 'udpRanges';
export const POLICY_KINDS: readonly PolicyKind[] = ['tcpPorts', 'udpPorts', 'tcpRanges', 'udpRanges'];
/** The sets whose elements are port ranges (nft interval sets). */
export const RANGE_KINDS: readonly ElementKind[] = ['tcpRanges', 'udpRanges'];

function policyKind(protocol: L4Protocol, ranged: boolean): PolicyKind {
  if (ranged) return protocol === 'tcp' ? 'tcpRanges' : 'udpRanges';
  return protocol === 'tcp' ? 'tcpPorts' : 'udpPorts';
}

function splitBySet(merged: AllowedRange[]): Pick<EnforcerElements, PolicyKind> {
  const out: Pick<EnforcerElements, PolicyKind> = {
    tcpPorts: [],
    udpPorts: [],
    tcpRanges: [],
    udpRanges: [],
  };
  for (const a of merged) out[policyKind(a.protocol, a.startPort !== a.endPort)].push(a);
  return out;
}

/** Every allowed range, whichever set holds it. */
export function allowedRanges(e: EnforcerElements): AllowedRange[] {
  return POLICY_KINDS.flatMap((kind) => e[kind]);
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...new Map(items.map((item) => [key(item), item])).values()];
}

/** The elements a desired state puts in the kernel, deduplicated and in a stable order. */
export function elementsOf(d: EnforcerDesired): EnforcerElements {
  return {
    antiSpoof: uniqueBy(
      d.localInstances.map((i) => ({ iface: i.hostIface, ip: i.ip })),
      (e) => `${e.iface} ${e.ip}`,
    ),
    tags: uniqueBy(
      d.tags.map((t) => ({ ip: t.ip, tag: t.tag })),
      (e) => e.ip,
    ),
    ...splitBySet(mergePolicies(d.policies)),
    hostServices: uniqueBy(
      d.hostServices.map((s) => ({ protocol: s.protocol, port: s.port })),
      (e) => `${e.protocol} ${e.port}`,
    ),
    proxyForwards: uniqueBy(
      d.proxyForwards.map((f) => ({ ip: f.ip, port: f.port, toIp: d.gatewayIp, toPort: f.proxyPort })),
      (e) => `${e.ip} ${e.port}`,
    ),
    peerHosts: uniqueBy(
      d.peerHosts.map((ip) => ({ ip })),
      (e) => e.ip,
    ),
  };
}

/** One set's elements as nft text: `texts` is what `add element` takes, `keys` what `delete element` takes. */
export interface RenderedSet {
  keys: readonly string[];
  texts: readonly string[];
}

export type RenderedTexts = Record<ElementKind, RenderedSet>;

/**
 * Each set's elements by key → text (the same string for plain sets; a map's key leaves out the value):
 * what a delta is computed from.
 */
export type RenderedState = Record<ElementKind, Map<string, string>>;

/** Plain loops: at 100k policies, intermediate pairs and objects would cost more than the text itself. */
export function renderTexts(e: EnforcerElements): RenderedTexts {
  const asSet = <T>(items: readonly T[], text: (item: T) => string): RenderedSet => {
    const texts = items.map(text);
    return { keys: texts, texts };
  };
  const asMap = <T>(
    items: readonly T[],
    key: (item: T) => string,
    value: (item: T) => string,
  ): RenderedSet => {
    const keys = items.map(key);
    return { keys, texts: items.map((item, i) => `${keys[i] ?? ''} : ${value(item)}`) };
  };
  const port = (a: AllowedRange): string => `${a.srcTag} . ${a.dstTag} . ${a.startPort}`;
  const range = (a: AllowedRange): string => `${a.srcTag} . ${a.dstTag} . ${a.startPort}-${a.endPort}`;
  return {
    antiSpoof: asSet(e.antiSpoof, (s) => `"${s.iface}" . ${s.ip}`),
    tags: asMap(
      e.tags,
      (t) => t.ip,
      (t) => String(t.tag),
    ),
    tcpPorts: asSet(e.tcpPorts, port),
    udpPorts: asSet(e.udpPorts, port),
    tcpRanges: asSet(e.tcpRanges, range),
    udpRanges: asSet(e.udpRanges, range),
    hostServices: asSet(e.hostServices, (s) => `${s.protocol} . ${s.port}`),
    proxyForwards: asMap(
      e.proxyForwards,
      (f) => `${f.ip} . ${f.port}`,
      (f) => `${f.toIp} . ${f.toPort}`,
    ),
    peerHosts: asSet(e.peerHosts, (h) => h.ip),
  };
}

export function indexRendered(rendered: RenderedTexts): RenderedState {
  const out = {} as RenderedState;
  for (const kind of ELEMENT_KINDS) {
    const { keys, texts } = rendered[kind];
    const byKey = new Map<string, string>();
    for (let i = 0; i < keys.length; i++) byKey.set(keys[i] ?? '', texts[i] ?? '');
    out[kind] = byKey;
  }
  return out;
}

export function elementCount(e: EnforcerElements): number {
  return ELEMENT_KINDS.reduce((sum, kind) => sum + e[kind].length, 0);
}
