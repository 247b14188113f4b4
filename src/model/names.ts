// The DNS names an instance answers to: HOST.DOMAIN for each internal route of its app, and
// INDEX.HOST.DOMAIN for the instance itself. The cells' DNS serves exactly these, the 61443
// certificate carries exactly these, and the app's VCAP_APPLICATION lists its route names.
import type { Domain, Route } from './types.js';

/** HOST.DOMAIN, lower case, as DNS compares it. */
export function routeName(host: string, domainName: string): string {
  return `${host}.${domainName}`.toLowerCase();
}

/** INDEX.HOST.DOMAIN: the instance with that index among those a route name resolves to. */
export function indexedName(index: number, name: string): string {
  return `${index}.${name}`;
}

export function instanceNames(
  routes: Iterable<Route>,
  domainOf: (guid: string) => Domain | undefined,
  appGuid: string,
  index: number,
): string[] {
  const names: string[] = [];
  for (const r of routes) {
    const domain = domainOf(r.domainGuid);
    if (!domain?.internal || !r.appGuids.includes(appGuid)) continue;
    const name = routeName(r.host, domain.name);
    names.push(name, indexedName(index, name));
  }
  return names.sort();
}
