// ulogd2 reads the kernel's NFLOG group for the cell and writes each logged packet as a JSON line to the
// cell's unix socket. Pure parts: its configuration, and turning one of its lines into an ObservedFlow.
import type { ObservedFlow } from '../contract/flows.js';
import { isIpv4 } from '../network/cidr.js';

/** Longest JSON line taken from ulogd; a packet record is well under 2 KiB. */
export const MAX_LINE_BYTES = 16 * 1024;

/** What conntrack events to take (`--flow-log all`): new and destroyed connections within the overlay. */
export interface ConntrackOptions {
  overlayCidr: string;
}

// ulogd's NFCT event mask: NEW (1) and DESTROY (4).
const NEW_AND_DESTROY = '0x00000005';

export function ulogdConfig(opts: {
  group: number;
  socket: string;
  pluginDir: string;
  conntrack?: ConntrackOptions;
}): string {
  if (!Number.isInteger(opts.group) || opts.group < 1 || opts.group > 65535) {
    throw new Error(`NFLOG group ${opts.group} is not in 1..65535`);
  }
  for (const p of [opts.socket, opts.pluginDir]) {
    if (!/^\/[A-Za-z0-9_./-]+$/.test(p)) throw new Error(`unsafe path for ulogd's configuration: ${p}`);
  }
  const ct = opts.conntrack;
  if (ct !== undefined && !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(ct.overlayCidr)) {
    throw new Error(`unsafe overlay for ulogd's configuration: ${ct.overlayCidr}`);
  }
  const plugin = (name: string) => `plugin="${opts.pluginDir}/ulogd_${name}.so"`;
  // Every plugin and stack line belongs to [global]: after a section header ulogd reads them as that
  // section's options and silently builds no stack.
  const conntrackGlobal =
    ct === undefined ? [] : [plugin('inpflow_NFCT'), 'stack=ct1:NFCT,ip2str2:IP2STR,json2:JSON'];
  const conntrackSections =
    ct === undefined
      ? []
      : [
          '',
          '[ct1]',
          'hash_enable=0',
          `event_mask=${NEW_AND_DESTROY}`,
          `accept_src_filter=${ct.overlayCidr}`,
          `accept_dst_filter=${ct.overlayCidr}`,
          'accept_proto_filter=tcp,udp',
          '',
          '[json2]',
          'sync=1',
          'mode="unix"',
          `file="${opts.socket}"`,
        ];
  return [
    '[global]',
    'logfile="stdout"',
    'loglevel=5',
    plugin('inppkt_NFLOG'),
    plugin('raw2packet_BASE'),
    plugin('filter_IP2STR'),
    plugin('output_JSON'),
    'stack=log1:NFLOG,base1:BASE,ip2str1:IP2STR,json1:JSON',
    ...conntrackGlobal,
    '',
    '[log1]',
    `group=${opts.group}`,
    '',
    '[json1]',
    'sync=1',
    'mode="unix"',
    `file="${opts.socket}"`,
    ...conntrackSections,
    '',
  ].join('\n');
}

const PROTOCOLS: Record<number, ObservedFlow['protocol']> = { 6: 'tcp', 17: 'udp' };

function port(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : null;
}

function record(line: string): Record<string, unknown> | null {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return null;
  }
  return typeof rec !== 'object' || rec === null || Array.isArray(rec)
    ? null
    : (rec as Record<string, unknown>);
}

/** An ObservedFlow from one of ulogd's JSON lines, or null for anything else (other prefixes, IPv6, junk). */
export function parseUlogdLine(line: string, prefix: string): ObservedFlow | null {
  const r = record(line);
  if (r === null || r['oob.prefix'] !== prefix) return null;
  const protocol = typeof r['ip.protocol'] === 'number' ? PROTOCOLS[r['ip.protocol']] : undefined;
  const srcIp = r.src_ip;
  const dstIp = r.dest_ip;
  const srcPort = port(r.src_port);
  const dstPort = port(r.dest_port);
  const sec = r['oob.time.sec'];
  const usec = r['oob.time.usec'];
  if (protocol === undefined || srcPort === null || dstPort === null) return null;
  if (typeof srcIp !== 'string' || !isIpv4(srcIp) || typeof dstIp !== 'string' || !isIpv4(dstIp)) return null;
  if (typeof sec !== 'number' || typeof usec !== 'number') return null;
  return {
    time: new Date(sec * 1000 + Math.floor(usec / 1000)).toISOString(),
    protocol,
    srcIp,
    srcPort,
    dstIp,
    dstPort,
  };
}

const CT_EVENTS: Record<number, 'ALLOWED' | 'ENDED'> = { 1: 'ALLOWED', 4: 'ENDED' };

/** A connection's start or end from one of ulogd's NFCT lines, in its original direction; null for anything else. */
export function parseConntrackLine(line: string): ObservedFlow | null {
  const r = record(line);
  if (r === null || r['oob.prefix'] !== undefined) return null;
  const verdict = typeof r['ct.event'] === 'number' ? CT_EVENTS[r['ct.event']] : undefined;
  const protocol = typeof r['orig.ip.protocol'] === 'number' ? PROTOCOLS[r['orig.ip.protocol']] : undefined;
  const srcIp = r.src_ip;
  const dstIp = r.dest_ip;
  const srcPort = port(r['orig.l4.sport']);
  const dstPort = port(r['orig.l4.dport']);
  const end = verdict === 'ENDED';
  const sec = r[end ? 'flow.end.sec' : 'flow.start.sec'];
  const usec = r[end ? 'flow.end.usec' : 'flow.start.usec'];
  if (verdict === undefined || protocol === undefined || srcPort === null || dstPort === null) return null;
  if (typeof srcIp !== 'string' || !isIpv4(srcIp) || typeof dstIp !== 'string' || !isIpv4(dstIp)) return null;
  const time =
    typeof sec === 'number' && typeof usec === 'number'
      ? new Date(sec * 1000 + Math.floor(usec / 1000))
      : new Date();
  if (Number.isNaN(time.getTime())) return null;
  return { time: time.toISOString(), verdict, protocol, srcIp, srcPort, dstIp, dstPort };
}
