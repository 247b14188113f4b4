// Pure planner: desired state → `nft -f` scripts. The full script rebuilds weft's table atomically; the delta
// script only adds and deletes set/map elements, so the hot path never reloads rules.
import { validateDesired } from './desired.js';
import type { EnforcerDesired } from './desired.js';
import { ELEMENT_KINDS, SET_NAME, elementsOf, renderElements } from './elements.js';
import type { ElementKind, RenderedElement } from './elements.js';

function tableDefinition(d: EnforcerDesired): string {
  const containers = `"${d.ifacePrefix}*"`;
  const gw = d.gatewayIp;
  return `table inet ${d.table} {
  set ${SET_NAME.antiSpoof} { type ifname . ipv4_addr; }
  map ${SET_NAME.tags} { type ipv4_addr : mark; }
  set ${SET_NAME.allowedPorts} { type mark . mark . inet_proto . inet_service; }
  set ${SET_NAME.allowed} { type mark . mark . inet_proto . inet_service; flags interval; }
  set ${SET_NAME.hostServices} { type inet_proto . inet_service; }
  map ${SET_NAME.proxyForwards} { type ipv4_addr . inet_service : ipv4_addr . inet_service; }

  # New flow between instances: source tag . destination tag . protocol . original port must be allowed.
  # The marks only carry the two tags into one lookup and are cleared on accept.
  chain check_policy {
    meta mark set ip saddr map @${SET_NAME.tags} ct mark set ip daddr map @${SET_NAME.tags}
    meta mark . ct mark . meta l4proto . th dport @${SET_NAME.allowedPorts} meta mark set 0 ct mark set 0 accept
    meta mark . ct mark . meta l4proto . th dport @${SET_NAME.allowed} meta mark set 0 ct mark set 0 accept
    # A mid-stream packet here belongs to a flow whose policy was removed: reset it instead of letting it hang.
    tcp flags & (syn | ack) != syn reject with tcp reset
    drop
  }

  chain from_container {
    meta nfproto != ipv4 drop
    iifname . ip saddr != @${SET_NAME.antiSpoof} drop
    ct state invalid drop
    ip daddr ${gw} meta l4proto . th dport @${SET_NAME.hostServices} accept
    ip daddr != ${d.overlayCidr} drop
    goto check_policy
  }

  # Before DNAT (-100) so proxied ports are judged by their original destination; after conntrack (-200).
  chain prerouting_filter {
    type filter hook prerouting priority -150; policy accept;
    ct state established,related accept
    iifname ${containers} goto from_container
    # Flows arriving from other cells are judged here too, so a flow cut at one end cannot be picked up again
    # by conntrack from the other end. Loopback is the host talking to itself.
    iifname != "lo" ip saddr ${d.overlayCidr} ip daddr ${d.overlayCidr} goto check_policy
  }

  chain prerouting_nat {
    type nat hook prerouting priority -100; policy accept;
    dnat ip to ip daddr . tcp dport map @${SET_NAME.proxyForwards}
  }

  # The host reaches an instance's proxied ports the same way containers do.
  chain output_nat {
    type nat hook output priority -100; policy accept;
    dnat ip to ip daddr . tcp dport map @${SET_NAME.proxyForwards}
  }

  # Second line behind prerouting: whatever else rewrites addresses, a container reaches the host only for
  # its services and the proxy listeners it was DNAT-ed to.
  chain input {
    type filter hook input priority 0; policy accept;
    iifname != ${containers} accept
    ct state established,related accept
    ip daddr ${gw} meta l4proto . th dport @${SET_NAME.hostServices} accept
    ip daddr ${gw} meta l4proto tcp ct status dnat accept
    drop
  }

  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname != ${containers} accept
    ct state established,related accept
    ip daddr != ${d.overlayCidr} drop
  }
}`;
}

function elementLine(verb: 'add' | 'delete', table: string, kind: ElementKind, items: string[]): string {
  return `${verb} element inet ${table} ${SET_NAME[kind]} { ${items.join(', ')} }`;
}

/**
 * The whole table as one `nft -f` transaction. Creating then deleting the table first makes the script work
 * whether or not the table exists, and the kernel swaps old for new atomically: never a moment without rules.
 */
export function planRuleset(desired: EnforcerDesired): string {
  validateDesired(desired);
  const rendered = renderElements(elementsOf(desired));
  const lines = [
    `table inet ${desired.table} {}`,
    `delete table inet ${desired.table}`,
    tableDefinition(desired),
  ];
  for (const kind of ELEMENT_KINDS) {
    const items = rendered[kind].map((e) => e.text);
    if (items.length > 0) lines.push(elementLine('add', desired.table, kind, items));
  }
  return lines.join('\n') + '\n';
}

/** Inputs that are written into the rules themselves; changing one needs a full rebuild. */
export function structuralChange(prev: EnforcerDesired, next: EnforcerDesired): boolean {
  return (
    prev.table !== next.table ||
    prev.ifacePrefix !== next.ifacePrefix ||
    prev.overlayCidr !== next.overlayCidr ||
    prev.gatewayIp !== next.gatewayIp
  );
}

export interface ElementChanges {
  /** Keys to delete (a changed map value is a delete plus an add). */
  deleted: Record<ElementKind, string[]>;
  added: Record<ElementKind, string[]>;
}

/** Each set's elements by key (what `delete element` takes) → text (what `add element` takes). */
export type RenderedState = Record<ElementKind, Map<string, string>>;

export function renderState(d: EnforcerDesired): RenderedState {
  const rendered = renderElements(elementsOf(d));
  const byKey = (items: RenderedElement[]): Map<string, string> => new Map(items.map((e) => [e.key, e.text]));
  return {
    antiSpoof: byKey(rendered.antiSpoof),
    tags: byKey(rendered.tags),
    allowedPorts: byKey(rendered.allowedPorts),
    allowed: byKey(rendered.allowed),
    hostServices: byKey(rendered.hostServices),
    proxyForwards: byKey(rendered.proxyForwards),
  };
}

export function diffRendered(before: RenderedState, after: RenderedState): ElementChanges {
  const changes: ElementChanges = {
    deleted: { antiSpoof: [], tags: [], allowedPorts: [], allowed: [], hostServices: [], proxyForwards: [] },
    added: { antiSpoof: [], tags: [], allowedPorts: [], allowed: [], hostServices: [], proxyForwards: [] },
  };
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

/**
 * An incremental script from `prev` to `next`, or null when the kernel already holds `next`. Deletes come
 * before adds so a changed map value or a re-merged port range fits in the same transaction.
 */
export function planDelta(prev: EnforcerDesired, next: EnforcerDesired): string | null {
  validateDesired(next);
  if (structuralChange(prev, next)) return planRuleset(next);
  return deltaScript(next.table, diffElements(prev, next));
}
