// Parses `nft -j list table` back into weft's elements, so what the kernel holds can be checked against the plan.
import type { L4Protocol } from './desired.js';
import { SET_NAME } from './elements.js';
import type { AllowedRange, ElementKind, EnforcerElements } from './elements.js';

class UnexpectedNftJson extends Error {
  override name = 'UnexpectedNftJson';
}

function unexpected(what: string, value: unknown): never {
  throw new UnexpectedNftJson(`unexpected ${what} in nft JSON: ${JSON.stringify(value)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Elements carrying extra attributes are wrapped as `{ elem: { val } }`. */
function unwrap(value: unknown): unknown {
  return isRecord(value) && isRecord(value.elem) ? value.elem.val : value;
}

function concat(value: unknown, length: number): unknown[] {
  const inner = unwrap(value);
  if (!isRecord(inner) || !Array.isArray(inner.concat) || inner.concat.length !== length) {
    unexpected(`${length}-part concatenation`, value);
  }
  return inner.concat as unknown[];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : unexpected('string', value);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : unexpected('number', value);
}

function protocol(value: unknown): L4Protocol {
  if (value === 'tcp' || value === 6) return 'tcp';
  if (value === 'udp' || value === 17) return 'udp';
  return unexpected('protocol', value);
}

function portRange(value: unknown): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (isRecord(value) && Array.isArray(value.range) && value.range.length === 2) {
    return [num(value.range[0]), num(value.range[1])];
  }
  return unexpected('port range', value);
}

function mapEntry(value: unknown): [unknown, unknown] {
  const inner = unwrap(value);
  if (!Array.isArray(inner) || inner.length !== 2) unexpected('map entry', value);
  return [inner[0], inner[1]];
}

/** Collects the `elem` arrays of every set and map in `nft -j list table` output, by name. */
function elemsByName(json: unknown): Map<string, unknown[]> {
  if (!isRecord(json) || !Array.isArray(json.nftables)) unexpected('document', json);
  const byName = new Map<string, unknown[]>();
  for (const item of json.nftables as unknown[]) {
    if (!isRecord(item)) continue;
    const set = isRecord(item.set) ? item.set : isRecord(item.map) ? item.map : null;
    if (set === null || typeof set.name !== 'string') continue;
    byName.set(set.name, Array.isArray(set.elem) ? (set.elem as unknown[]) : []);
  }
  return byName;
}

export function parseTableElements(json: unknown): EnforcerElements {
  const byName = elemsByName(json);
  const elems = (kind: ElementKind): unknown[] => byName.get(SET_NAME[kind]) ?? [];
  const policies = (kind: ElementKind, protocol: L4Protocol): AllowedRange[] =>
    elems(kind).map((v) => {
      const [srcTag, dstTag, ports] = concat(v, 3);
      const [startPort, endPort] = portRange(ports);
      return { srcTag: num(srcTag), dstTag: num(dstTag), protocol, startPort, endPort };
    });
  return {
    antiSpoof: elems('antiSpoof').map((v) => {
      const [iface, ip] = concat(v, 2);
      return { iface: str(iface), ip: str(ip) };
    }),
    tags: elems('tags').map((v) => {
      const [ip, tag] = mapEntry(v);
      return { ip: str(ip), tag: num(tag) };
    }),
    tcpPorts: policies('tcpPorts', 'tcp'),
    udpPorts: policies('udpPorts', 'udp'),
    tcpRanges: policies('tcpRanges', 'tcp'),
    udpRanges: policies('udpRanges', 'udp'),
    hostServices: elems('hostServices').map((v) => {
      const [proto, port] = concat(v, 2);
      return { protocol: protocol(proto), port: num(port) };
    }),
    proxyForwards: elems('proxyForwards').map((v) => {
      const [key, target] = mapEntry(v);
      const [ip, port] = concat(key, 2);
      const [toIp, toPort] = concat(target, 2);
      return { ip: str(ip), port: num(port), toIp: str(toIp), toPort: num(toPort) };
    }),
    peerHosts: elems('peerHosts').map((v) => ({ ip: str(unwrap(v)) })),
  };
}

/**
 * The table's chains and rules (and set declarations) as one comparable text: handles and counter values,
 * which change without anyone editing the rules, are left out.
 */
export function rulesFingerprint(json: unknown): string {
  if (!isRecord(json) || !Array.isArray(json.nftables)) unexpected('document', json);
  const items = (json.nftables as unknown[]).filter((item) => isRecord(item) && !('metainfo' in item));
  return JSON.stringify(items, (key, value: unknown) => {
    if (key === 'handle' || key === 'elem') return undefined;
    if (key === 'counter') return null;
    return value;
  });
}
