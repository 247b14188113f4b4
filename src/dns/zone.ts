import { indexedName, routeName } from '../model/names.js';
import type { Snapshot } from '../model/types.js';

/** What the cell's DNS server knows: the internal domains and the addresses of every name in them. */
export interface Zone {
  /** Serial of the zone's SOA, so resolvers and operators can tell zone versions apart. */
  revision: number;
  /** Internal domain names, lower case, without trailing dot. */
  domains: ReadonlySet<string>;
  /** Fully qualified name (lower case, no trailing dot) → IPv4 addresses, ordered by instance index. */
  records: ReadonlyMap<string, readonly string[]>;
}

export const emptyZone: Zone = { revision: 0, domains: new Set(), records: new Map() };

/** Names are case-insensitive and may arrive with the root's trailing dot. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * `HOST.DOMAIN` resolves to every running instance of every started app mapped to the route,
 * `INDEX.HOST.DOMAIN` to the instance(s) with that index. Names without a running instance are absent.
 */
export function buildZone(snapshot: Snapshot): Zone {
  const internalDomains = new Map<string, string>();
  for (const domain of snapshot.domains) {
    if (domain.internal) internalDomains.set(domain.guid, canonicalName(domain.name));
  }

  const startedApps = new Set(snapshot.apps.filter((app) => app.state === 'STARTED').map((app) => app.guid));
  const runningByApp = new Map<string, { index: number; ip: string }[]>();
  for (const instance of snapshot.instances) {
    if (instance.state !== 'RUNNING' || instance.ip === null || !startedApps.has(instance.appGuid)) continue;
    const running = runningByApp.get(instance.appGuid) ?? [];
    running.push({ index: instance.index, ip: instance.ip });
    runningByApp.set(instance.appGuid, running);
  }

  const byName = new Map<string, { index: number; ip: string }[]>();
  const add = (name: string, entry: { index: number; ip: string }): void => {
    const entries = byName.get(name) ?? [];
    entries.push(entry);
    byName.set(name, entries);
  };
  for (const route of snapshot.routes) {
    const domain = internalDomains.get(route.domainGuid);
    if (domain === undefined) continue;
    const name = routeName(route.host, domain);
    for (const appGuid of new Set(route.appGuids)) {
      for (const entry of runningByApp.get(appGuid) ?? []) {
        add(name, entry);
        add(indexedName(entry.index, name), entry);
      }
    }
  }

  const records = new Map<string, readonly string[]>();
  for (const [name, entries] of byName) {
    entries.sort((a, b) => a.index - b.index);
    records.set(name, [...new Set(entries.map((entry) => entry.ip))]);
  }
  return { revision: snapshot.revision, domains: new Set(internalDomains.values()), records };
}

/** The most specific internal domain that `name` (canonical) lies in or is the apex of. */
export function enclosingDomain(zone: Zone, name: string): string | undefined {
  let suffix = name;
  for (;;) {
    if (zone.domains.has(suffix)) return suffix;
    const dot = suffix.indexOf('.');
    if (dot < 0) return undefined;
    suffix = suffix.slice(dot + 1);
  }
}
