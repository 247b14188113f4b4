// The DNS names an instance answers to: HOST.DOMAIN for each internal route of its app, and
// INDEX.HOST.DOMAIN for the instance itself. The 61443 certificate carries exactly these.
import type { Domain, Route } from './types.js';

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
    names.push(`${r.host}.${domain.name}`, `${index}.${r.host}.${domain.name}`);
  }
  return names.sort();
}
