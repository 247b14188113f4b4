// The zone as unbound takes it: `local-zone` and `local-data` entries, and the difference between two
// zones as the control commands that turn one into the other. Pure.
import net from 'node:net';
import type { Zone } from '../zone.js';

/** TTL of answers and of negative answers (the SOA minimum), in seconds: short, so changes show fast. */
export const ZONE_TTL = 1;

/**
 * Names go into unbound's line-based control protocol and configuration: anything but plain DNS labels
 * (a space, a quote, a newline) could smuggle in another record or command, so such a name is left out.
 */
const SAFE_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

export function safeName(name: string): boolean {
  return name.length <= 253 && SAFE_NAME.test(name);
}

/** `NAME static`: unbound answers the domain only from its local data, NXDOMAIN or NODATA otherwise. */
export function zoneLine(domain: string): string {
  return `${domain}. static`;
}

/** The apex's SOA, which unbound puts in negative answers; its minimum bounds how long they are cached. */
export function soaLine(domain: string): string {
  return `${domain}. ${ZONE_TTL} IN SOA ${domain}. hostmaster.${domain}. 1 60 60 3600 ${ZONE_TTL}`;
}

export function addressLine(name: string, ip: string): string {
  return `${name}. ${ZONE_TTL} IN A ${ip}`;
}

/** What a zone holds that unbound can safely be given. */
function served(zone: Zone): { domains: string[]; records: Map<string, readonly string[]> } {
  const domains = [...zone.domains].filter(safeName);
  const records = new Map<string, readonly string[]>();
  for (const [name, ips] of zone.records) {
    const valid = ips.filter((ip) => net.isIPv4(ip));
    if (safeName(name) && valid.length > 0) records.set(name, valid);
  }
  return { domains, records };
}

/** The whole zone as configuration entries: local zones, then their SOAs and addresses. */
export function zoneEntries(zone: Zone): { zones: string[]; datas: string[] } {
  const { domains, records } = served(zone);
  const datas = domains.map(soaLine);
  for (const [name, ips] of records) for (const ip of ips) datas.push(addressLine(name, ip));
  return { zones: domains.map(zoneLine), datas };
}

/** Control commands' inputs, applied in this order: each list is one batched command, or none if empty. */
export interface ZoneChange {
  /** For `local_datas_remove`: names whose every record goes. */
  removeNames: string[];
  /** For `local_zones_remove`: domains that stop being internal, with all their data. */
  removeZones: string[];
  /** For `local_zones`. */
  addZones: string[];
  /** For `local_datas`: records; unbound keeps one copy of a record given twice. */
  addDatas: string[];
}

/**
 * From what unbound holds to what it should. unbound removes a name with all its records, so a name that
 * loses an address is removed and given its full set again; a name that only gains addresses keeps its
 * records and gets the new ones, so it never goes missing between the two commands.
 */
export function zoneChange(from: Zone, to: Zone): ZoneChange {
  const old = served(from);
  const next = served(to);
  const oldDomains = new Set(old.domains);
  const nextDomains = new Set(next.domains);
  const removeZones = old.domains.filter((d) => !nextDomains.has(d));
  const addZones = next.domains.filter((d) => !oldDomains.has(d));
  const removeNames: string[] = [];
  const addDatas = addZones.map(soaLine);
  for (const [name, ips] of old.records) {
    const kept = next.records.get(name);
    if (kept === undefined || ips.some((ip) => !kept.includes(ip))) removeNames.push(name);
  }
  const removed = new Set(removeNames);
  for (const [name, ips] of next.records) {
    const had = removed.has(name) ? [] : (old.records.get(name) ?? []);
    for (const ip of ips) if (!had.includes(ip)) addDatas.push(addressLine(name, ip));
  }
  return { removeNames, removeZones, addZones: addZones.map(zoneLine), addDatas };
}
