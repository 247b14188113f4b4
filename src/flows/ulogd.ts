// ulogd2 reads the kernel's NFLOG group for the cell and writes each logged packet as a JSON line to the
// cell's unix socket. Pure parts: its configuration, and turning one of its lines into an ObservedFlow.
import type { ObservedFlow } from '../contract/flows.js';
import { isIpv4 } from '../network/cidr.js';

/** Longest JSON line taken from ulogd; a packet record is well under 2 KiB. */
export const MAX_LINE_BYTES = 16 * 1024;

export function ulogdConfig(opts: { group: number; socket: string; pluginDir: string }): string {
  if (!Number.isInteger(opts.group) || opts.group < 1 || opts.group > 65535) {
    throw new Error(`NFLOG group ${opts.group} is not in 1..65535`);
  }
  for (const p of [opts.socket, opts.pluginDir]) {
    if (!/^\/[A-Za-z0-9_./-]+$/.test(p)) throw new Error(`unsafe path for ulogd's configuration: ${p}`);
  }
  const plugin = (name: string) => `plugin="${opts.pluginDir}/ulogd_${name}.so"`;
  return [
    '[global]',
    'logfile="stdout"',
    'loglevel=5',
    plugin('inppkt_NFLOG'),
    plugin('raw2packet_BASE'),
    plugin('filter_IP2STR'),
    plugin('output_JSON'),
    'stack=log1:NFLOG,base1:BASE,ip2str1:IP2STR,json1:JSON',
    '',
    '[log1]',
    `group=${opts.group}`,
    '',
    '[json1]',
    'sync=1',
    'mode="unix"',
    `file="${opts.socket}"`,
    '',
  ].join('\n');
}

const PROTOCOLS: Record<number, ObservedFlow['protocol']> = { 6: 'tcp', 17: 'udp' };

function port(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : null;
}

/** An ObservedFlow from one of ulogd's JSON lines, or null for anything else (other prefixes, IPv6, junk). */
export function parseUlogdLine(line: string, prefix: string): ObservedFlow | null {
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return null;
  const r = rec as Record<string, unknown>;
  if (r['oob.prefix'] !== prefix) return null;
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
