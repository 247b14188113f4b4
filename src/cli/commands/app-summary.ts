// What `weft app` and the end of `weft push` show: the app's settings and its instances.
import type { App, Domain, Instance, Route } from '../../model/types.js';
import { printFields, printTable, say } from '../output.js';
import { formatMemory, formatSize } from './flags.js';
import type { Session } from './session.js';

export function routeNamesOf(appGuid: string, routes: Route[], domains: Domain[]): string[] {
  const domainName = new Map(domains.map((d) => [d.guid, d.name]));
  return routes
    .filter((r) => r.appGuids.includes(appGuid))
    .map((r) => `${r.host}.${domainName.get(r.domainGuid) ?? r.domainGuid}`)
    .sort();
}

export function runningCount(instances: Instance[]): number {
  return instances.filter((i) => i.state === 'RUNNING').length;
}

/** The app's bits: their digest and compressed size, or none before the first upload. */
export function packageSummary(app: App): string {
  if (app.packageDigest === null) return 'none';
  return `sha256:${app.packageDigest} (${formatSize(app.packageSize ?? 0)})`;
}

/** The stacks the app's instances run on, as cf's `stack:` line; cells of different versions show each. */
export function stackSummary(instances: Instance[]): string {
  const stacks = [...new Set(instances.flatMap((i) => (i.stack !== undefined ? [i.stack] : [])))];
  return stacks.length === 0 ? 'none reported' : stacks.sort().join(', ');
}

export async function printAppSummary(s: Session, app: App): Promise<void> {
  const [instances, routes, domains] = await Promise.all([
    s.client.instances(app.guid),
    s.client.routes(),
    s.client.domains(),
  ]);
  printFields([
    ['name', app.name],
    ['requested state', app.state.toLowerCase()],
    ['instances', `${runningCount(instances)}/${app.instances}`],
    ['memory', formatMemory(app.memoryMb)],
    ['routes', routeNamesOf(app.guid, routes, domains).join(', ')],
    ['c2c mtls', app.mtls ? 'on' : 'off'],
    ['command', app.command],
    ['package', packageSummary(app)],
    ['stack', stackSummary(instances)],
    ['ports', app.ports.join(', ')],
  ]);
  say();
  if (instances.length === 0) {
    say('There are no running instances of this app.');
    return;
  }
  printTable(
    ['index', 'state', 'ip', 'since'],
    instances.map((i) => [String(i.index), i.state.toLowerCase(), i.ip ?? '', i.since]),
  );
}
