// `weft domains`, `create-shared-domain`, `delete-shared-domain`, `routes`, `delete-route`, `map-route`,
// `unmap-route`
import type { Command } from 'commander';
import { deleteIfFound, ok, printTable, progress, say } from '../output.js';
import type { Route } from '../../model/types.js';
import { findApp, findDomain, inTarget, openSession, requireTarget, type Session } from './session.js';

interface HostFlag {
  hostname: string;
}

export function registerRoutes(program: Command): void {
  program
    .command('domains')
    .description('list domains')
    .action(async () => {
      const s = openSession();
      progress(`Getting domains as ${s.user}`);
      say();
      printTable(
        ['name', 'availability', 'internal'],
        (await s.client.domains()).map((d) => [d.name, 'shared', d.internal ? 'true' : '']),
      );
    });

  program
    .command('create-shared-domain')
    .argument('<domain>', 'domain name, e.g. apps.internal')
    .option('--internal', 'an internal domain: resolvable only from containers')
    .description('create a domain every org can use')
    .action(async (name: string, opts: { internal?: boolean }) => {
      const s = openSession();
      const internal = opts.internal === true;
      progress(`Creating shared${internal ? ' internal' : ''} domain ${name} as ${s.user}`);
      await s.client.createDomain(name, internal);
      ok();
    });

  program
    .command('delete-shared-domain')
    .argument('<domain>', 'domain name')
    .option('-f, --force', 'do not ask for confirmation')
    .description('delete a domain and every route in it')
    .action(async (name: string, opts: { force?: boolean }) => {
      const s = openSession();
      await deleteIfFound(opts.force, {
        kind: 'domain',
        name,
        including: 'with all its routes',
        doing: `Deleting domain ${name} as ${s.user}`,
        find: async () => (await s.client.domains()).find((d) => d.name === name),
        remove: (domain) => s.client.deleteDomain(domain.guid),
      });
    });

  program
    .command('routes')
    .description('list routes and the apps they are mapped to')
    .action(async () => {
      const s = openSession();
      progress(`Getting routes as ${s.user}`);
      say();
      const [routes, domains, apps] = await Promise.all([
        s.client.routes(),
        s.client.domains(),
        s.client.apps(),
      ]);
      const domainName = new Map(domains.map((d) => [d.guid, d.name]));
      const appName = new Map(apps.map((a) => [a.guid, a.name]));
      printTable(
        ['host', 'domain', 'apps'],
        routes.map((r) => [
          r.host,
          domainName.get(r.domainGuid) ?? r.domainGuid,
          r.appGuids
            .map((g) => appName.get(g) ?? g)
            .sort()
            .join(', '),
        ]),
      );
    });

  program
    .command('delete-route')
    .argument('<domain>', 'domain, e.g. apps.internal')
    .requiredOption('--hostname <host>', 'host part of the route')
    .option('-f, --force', 'do not ask for confirmation')
    .description('delete the route HOST.DOMAIN, unmapping it from every app')
    .action(async (domainName: string, opts: HostFlag & { force?: boolean }) => {
      const s = openSession();
      const domain = await findDomain(s, domainName);
      const name = `${opts.hostname}.${domainName}`;
      await deleteIfFound(opts.force, {
        kind: 'route',
        name,
        doing: `Deleting route ${name} as ${s.user}`,
        find: () => findRoute(s, opts.hostname, domain.guid),
        remove: (route) => s.client.deleteRoute(route.guid),
      });
    });

  program
    .command('map-route')
    .argument('<app>', 'app name')
    .argument('<domain>', 'domain, e.g. apps.internal')
    .requiredOption('--hostname <host>', 'host part of the route')
    .description('map the route HOST.DOMAIN to an app, creating the route if needed')
    .action(async (appName: string, domainName: string, opts: HostFlag) => {
      const s = openSession();
      const t = requireTarget(s);
      const [app, domain] = await Promise.all([findApp(s, t.space, appName), findDomain(s, domainName)]);
      progress(`Mapping route ${opts.hostname}.${domainName} to app ${appName} ${inTarget(t)} as ${s.user}`);
      const route = await s.client.findOrCreateRoute(opts.hostname, domain.guid, app.spaceGuid);
      await s.client.mapRoute(route.guid, app.guid);
      ok();
    });

  program
    .command('unmap-route')
    .argument('<app>', 'app name')
    .argument('<domain>', 'domain, e.g. apps.internal')
    .requiredOption('--hostname <host>', 'host part of the route')
    .description('remove the route HOST.DOMAIN from an app')
    .action(async (appName: string, domainName: string, opts: HostFlag) => {
      const s = openSession();
      const t = requireTarget(s);
      const [app, domain] = await Promise.all([findApp(s, t.space, appName), findDomain(s, domainName)]);
      const name = `${opts.hostname}.${domainName}`;
      progress(`Removing route ${name} from app ${appName} ${inTarget(t)} as ${s.user}`);
      const route = await findRoute(s, opts.hostname, domain.guid);
      if (route === undefined || !route.appGuids.includes(app.guid)) {
        say(`Route ${name} is not mapped to app ${appName}.`);
      } else {
        await s.client.unmapRoute(route.guid, app.guid);
      }
      ok();
    });
}

async function findRoute(s: Session, host: string, domainGuid: string): Promise<Route | undefined> {
  return (await s.client.routes()).find((r) => r.host === host && r.domainGuid === domainGuid);
}
