// Pure planner: desired state → `nft -f` scripts. The full script rebuilds weft's table atomically; the delta
// script only adds and deletes set/map elements, so the hot path never reloads rules.
import { validateDesired } from './desired.js';
import type { EnforcerDesired } from './desired.js';
import { ELEMENT_KINDS, RANGE_KINDS, SET_NAME, elementsOf, indexRendered, renderTexts } from './elements.js';
import type { ElementKind, RenderedState, RenderedTexts } from './elements.js';
import { VXLAN_PORT, overlayVni } from '../network/vxlan.js';

export type { RenderedState } from './elements.js';

/**
 * Room in each hash set, a power of two at least twice what it holds: a sized set gets a fixed-size kernel
 * hash that never resizes while it loads, and deltas grow into the room; outgrowing it means a rebuild.
 */
export type SetCapacities = Partial<Record<ElementKind, number>>;

/** Interval sets take no size: their kernel backend (pipapo) does not preallocate. */
const HASH_KINDS = ELEMENT_KINDS.filter((kind) => !RANGE_KINDS.includes(kind));

const MIN_CAPACITY = 1024;

export function capacitiesFor(rendered: RenderedState | RenderedTexts): SetCapacities {
  const room = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(MIN_CAPACITY, n * 2)));
  const out = {} as SetCapacities;
  for (const kind of HASH_KINDS) out[kind] = room(countOf(rendered[kind]));
  return out;
}

function countOf(set: Map<string, string> | RenderedTexts[ElementKind]): number {
  return set instanceof Map ? set.size : set.texts.length;
}

/** True when some hash set holds more than the room it was built with. */
export function outgrows(rendered: RenderedState, built: SetCapacities): boolean {
  return HASH_KINDS.some((kind) => rendered[kind].size > (built[kind] ?? 0));
}

/** The per-source budget of the flow log: an entry per sender, forgotten a minute after its last denial. */
const DENIED_LOG_METER = 'denied_log_meter';

function setDeclarations(cap: SetCapacities): string {
  return `  set ${DENIED_LOG_METER} { type ipv4_addr; size 65536; flags dynamic,timeout; timeout 1m; }
  set ${SET_NAME.antiSpoof} { type ifname . ipv4_addr; size ${cap.antiSpoof}; }
  map ${SET_NAME.tags} { type ipv4_addr : mark; size ${cap.tags}; }
  set ${SET_NAME.tcpPorts} { type mark . mark . inet_service; size ${cap.tcpPorts}; }
  set ${SET_NAME.udpPorts} { type mark . mark . inet_service; size ${cap.udpPorts}; }
  set ${SET_NAME.tcpRanges} { type mark . mark . inet_service; flags interval; }
  set ${SET_NAME.udpRanges} { type mark . mark . inet_service; flags interval; }
  set ${SET_NAME.hostServices} { type inet_proto . inet_service; size ${cap.hostServices}; }
  map ${SET_NAME.proxyForwards} { type ipv4_addr . inet_service : ipv4_addr . inet_service; size ${cap.proxyForwards}; }
  set ${SET_NAME.peerHosts} { type ipv4_addr; size ${cap.peerHosts}; }`;
}

function chainDefinitions(d: EnforcerDesired): string {
  const containers = `"${d.ifacePrefix}*"`;
  const gw = d.gatewayIp;
  const overlay = d.overlayCidr;
  const cell = d.exemptCgroup;
  const allow = (set: string): string =>
    `meta mark . ct mark . th dport @${set} meta mark set 0 ct mark set 0 accept`;
  const log = d.flowLog;
  // Only the first packets of a denied flow, within the sender's budget; the drop below happens either way.
  const logDenied =
    log === undefined
      ? ''
      : `\n    ct state new add @${DENIED_LOG_METER} { ip saddr limit rate ${log.perSourcePerSecond}/second burst ${log.perSourcePerSecond * 2} packets } log prefix "weft-denied" group ${log.group}`;
  return `  # New flow between instances: source tag . destination tag . original port must be in the protocol's sets.
  # The marks only carry the two tags into one lookup and are cleared on accept.
  chain check_policy {
    meta mark set ip saddr map @${SET_NAME.tags} ct mark set ip daddr map @${SET_NAME.tags}
    meta l4proto tcp ${allow(SET_NAME.tcpPorts)}
    meta l4proto tcp ${allow(SET_NAME.tcpRanges)}
    meta l4proto udp ${allow(SET_NAME.udpPorts)}
    meta l4proto udp ${allow(SET_NAME.udpRanges)}
    # A mid-stream packet here belongs to a flow whose policy was removed: reset it instead of letting it hang.
    tcp flags & (syn | ack) != syn reject with tcp reset${logDenied}
    drop
  }

  chain from_container {
    meta nfproto != ipv4 drop
    # Before any accept, so a container cannot slip a packet into another's flow.
    iifname . ip saddr != @${SET_NAME.antiSpoof} drop
    ct state established,related accept
    ct state invalid drop
    ip daddr ${gw} meta l4proto . th dport @${SET_NAME.hostServices} accept
    ip daddr != ${overlay} drop
    goto check_policy
  }

  # Into the overlay from the underlay: only other cells' containers send from overlay addresses, over VXLAN,
  # and their source routes back the way it came; a neighbour that forges one is dropped. Their flows are
  # judged here too, so a flow cut at one end cannot be picked up again by conntrack at the other.
  chain from_underlay {
    ip saddr != ${overlay} drop
    fib saddr . iif oif missing drop
    goto check_policy
  }

  # Before DNAT (-100) so proxied ports are judged by their original destination; after conntrack (-200).
  chain prerouting_filter {
    type filter hook prerouting priority -150; policy accept;
    iifname ${containers} goto from_container
    # This overlay's VXLAN from anyone but a known cell would put frames behind the VXLAN link.
    udp dport ${VXLAN_PORT} @th,96,24 ${overlayVni(overlay)} ip saddr != @${SET_NAME.peerHosts} drop
    ct state established,related accept
    # The host's own packets were judged on their way out (from_host).
    iifname "lo" accept
    ip daddr ${overlay} goto from_underlay
  }

  # The host's own packets into the overlay: only the cell's sockets (its proxy and health checks) reach
  # containers without a policy. Every other process holds no tag, so no policy admits it.
  chain output_filter {
    type filter hook output priority -150; policy accept;
    ip daddr ${overlay} goto from_host
  }

  chain from_host {
    ct state established,related accept
    socket cgroupv2 level ${cell.level} "${cell.path}" accept
    ip daddr ${gw} meta l4proto . th dport @${SET_NAME.hostServices} accept
    meta l4proto tcp reject with tcp reset
    reject with icmpx type admin-prohibited
  }

  chain prerouting_nat {
    type nat hook prerouting priority -100; policy accept;
    dnat ip to ip daddr . tcp dport map @${SET_NAME.proxyForwards}
  }

  # The cell reaches an instance's proxied ports the same way containers do.
  chain output_nat {
    type nat hook output priority -100; policy accept;
    dnat ip to ip daddr . tcp dport map @${SET_NAME.proxyForwards}
  }

  chain input {
    type filter hook input priority 0; policy accept;
    iifname ${containers} goto container_to_host
    ip daddr ${gw} goto to_gateway
  }

  # Second line behind prerouting: whatever else rewrites addresses, a container reaches the host only for
  # its services and the proxy listeners it was DNAT-ed to.
  chain container_to_host {
    ct state established,related accept
    ip daddr ${gw} meta l4proto . th dport @${SET_NAME.hostServices} accept
    ip daddr ${gw} meta l4proto tcp ct status dnat accept
    drop
  }

  # The proxy listeners on the gateway serve flows DNAT-ed after a policy check, never a direct connection.
  chain to_gateway {
    ct state established,related accept
    meta l4proto tcp ct status dnat accept
    meta l4proto . th dport @${SET_NAME.hostServices} accept
    drop
  }

  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname != ${containers} accept
    ct state established,related accept
    ip daddr != ${overlay} drop
  }`;
}

function elementLine(
  verb: 'add' | 'delete',
  table: string,
  kind: ElementKind,
  items: readonly string[],
): string {
  return `${verb} element inet ${table} ${SET_NAME[kind]} { ${items.join(', ')} }`;
}

function elementLines(
  verb: 'add' | 'delete',
  table: string,
  items: Record<ElementKind, readonly string[]>,
): string[] {
  return ELEMENT_KINDS.filter((kind) => items[kind].length > 0).map((kind) =>
    elementLine(verb, table, kind, items[kind]),
  );
}

function texts(rendered: RenderedState | RenderedTexts): Record<ElementKind, readonly string[]> {
  const out = {} as Record<ElementKind, readonly string[]>;
  for (const kind of ELEMENT_KINDS) {
    const set = rendered[kind];
    out[kind] = set instanceof Map ? [...set.values()] : set.texts;
  }
  return out;
}

/**
 * The whole table as one `nft -f` transaction. Creating then deleting the table first makes the script work
 * whether or not the table exists, and the kernel swaps old for new atomically: never a moment without rules.
 */
export function planRuleset(desired: EnforcerDesired, rendered = renderState(desired)): string {
  validateDesired(desired);
  const t = desired.table;
  const lines = [
    `table inet ${t} {}`,
    `delete table inet ${t}`,
    `table inet ${t} {`,
    setDeclarations(capacitiesFor(rendered)),
    '',
    chainDefinitions(desired),
    '}',
    ...elementLines('add', t, texts(rendered)),
  ];
  return lines.join('\n') + '\n';
}

/**
 * A build of a table that does not exist yet, in stages, so that nft (whose parsing is most of a large
 * build) can run on several cores: `create` makes the table with its sets and fails if the table exists;
 * the element scripts may then run in parallel; the chains come last, and their hooks make the whole table
 * take effect in one step. Until then the table matches no packet, as before it existed.
 */
export interface StagedBuild {
  create: string;
  elements: string[];
  chains: string;
}

/** `desired` must have been validated (the enforcer does so before rendering it). */
export function planStagedBuild(
  desired: EnforcerDesired,
  rendered: RenderedTexts,
  parts: number,
): StagedBuild {
  const t = desired.table;
  const all = texts(rendered);
  const chunks = Array.from({ length: parts }, () => {
    const items = {} as Record<ElementKind, readonly string[]>;
    for (const kind of ELEMENT_KINDS) items[kind] = [];
    return items;
  });
  for (const kind of ELEMENT_KINDS) {
    // nft reads an interval set's elements back to merge new ones, so one script alone fills it.
    const size = RANGE_KINDS.includes(kind) ? all[kind].length : Math.ceil(all[kind].length / parts);
    chunks.forEach((chunk, i) => (chunk[kind] = all[kind].slice(i * size, (i + 1) * size)));
  }
  return {
    create: `create table inet ${t}\ntable inet ${t} {\n${setDeclarations(capacitiesFor(rendered))}\n}\n`,
    elements: chunks.map((items) => elementLines('add', t, items).join('\n') + '\n'),
    chains: `table inet ${t} {\n${chainDefinitions(desired)}\n}\n`,
  };
}

/** Inputs that are written into the rules themselves; changing one needs a full rebuild. */
export function structuralChange(prev: EnforcerDesired, next: EnforcerDesired): boolean {
  return (
    prev.table !== next.table ||
    prev.ifacePrefix !== next.ifacePrefix ||
    prev.overlayCidr !== next.overlayCidr ||
    prev.gatewayIp !== next.gatewayIp ||
    prev.exemptCgroup.path !== next.exemptCgroup.path ||
    prev.exemptCgroup.level !== next.exemptCgroup.level ||
    prev.flowLog?.group !== next.flowLog?.group ||
    prev.flowLog?.perSourcePerSecond !== next.flowLog?.perSourcePerSecond
  );
}

export interface ElementChanges {
  /** Keys to delete (a changed map value is a delete plus an add). */
  deleted: Record<ElementKind, string[]>;
  added: Record<ElementKind, string[]>;
}

export function renderState(d: EnforcerDesired): RenderedState {
  return indexRendered(renderTexts(elementsOf(d)));
}

function emptyLists(): Record<ElementKind, string[]> {
  const out = {} as Record<ElementKind, string[]>;
  for (const kind of ELEMENT_KINDS) out[kind] = [];
  return out;
}

export function diffRendered(before: RenderedState, after: RenderedState): ElementChanges {
  const changes: ElementChanges = { deleted: emptyLists(), added: emptyLists() };
  for (const kind of ELEMENT_KINDS) {
    const old = before[kind];
    const now = after[kind];
    for (const [key, text] of old) if (now.get(key) !== text) changes.deleted[kind].push(key);
    for (const [key, text] of now) if (old.get(key) !== text) changes.added[kind].push(text);
  }
  return changes;
}

export function diffElements(prev: EnforcerDesired, next: EnforcerDesired): ElementChanges {
  return diffRendered(renderState(prev), renderState(next));
}

/** Deletes come before adds so a changed map value or a re-merged port range fits in one transaction. */
export function deltaScript(table: string, changes: ElementChanges): string | null {
  const lines: string[] = [];
  for (const kind of ELEMENT_KINDS) {
    if (changes.deleted[kind].length > 0)
      lines.push(elementLine('delete', table, kind, changes.deleted[kind]));
  }
  for (const kind of ELEMENT_KINDS) {
    if (changes.added[kind].length > 0) lines.push(elementLine('add', table, kind, changes.added[kind]));
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : null;
}

/** What the kernel holds, as far as the enforcer knows. */
export interface AppliedTable {
  desired: EnforcerDesired;
  rendered: RenderedState;
  /** The room of the last full build: element deltas never resize the kernel's sets. */
  capacities: SetCapacities;
}

/**
 * How to bring the kernel from what it holds to the next state; `rendered` is the next state's, `capacities`
 * the room the sets keep when the table is not rebuilt.
 */
export type ApplyStep =
  | { kind: 'build' }
  | { kind: 'rebuild'; rendered: RenderedState }
  | {
      kind: 'delta';
      rendered: RenderedState;
      capacities: SetCapacities;
      changes: ElementChanges;
      script: string;
    }
  | { kind: 'nothing'; rendered: RenderedState; capacities: SetCapacities };

/**
 * A first build when nothing is applied yet; a rebuild when the rules themselves change or a set would hold
 * more than it was built for; else the element changes, if any.
 */
export function planApply(applied: AppliedTable | null, next: EnforcerDesired): ApplyStep {
  if (applied === null) return { kind: 'build' };
  const rendered = renderState(next);
  if (structuralChange(applied.desired, next) || outgrows(rendered, applied.capacities)) {
    return { kind: 'rebuild', rendered };
  }
  const { capacities } = applied;
  const changes = diffRendered(applied.rendered, rendered);
  const script = deltaScript(next.table, changes);
  if (script === null) return { kind: 'nothing', rendered, capacities };
  return { kind: 'delta', rendered, capacities, changes, script };
}
