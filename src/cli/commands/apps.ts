// `weft apps`, `app`, `scale`, `start`, `stop`, `restart`, `delete`, `enable-c2c-mtls`, `disable-c2c-mtls`
import type { Command } from 'commander';
import type { AppState } from '../../model/types.js';
import type { AppPatch } from '../../contract/api.js';
import { deleteIfFound, ok, printTable, progress, say } from '../output.js';
import { printAppSummary, routeNamesOf, runningCount } from './app-summary.js';
import { formatMemory, parseInstances, parseMemory } from './flags.js';
import { findApp, inTarget, openSession, requireTarget } from './session.js';

export function registerApps(program: Command): void {
  program
    .command('apps')
    .description('list the apps of the targeted space')
    .action(async () => {
      const s = openSession();
      const t = requireTarget(s);
      progress(`Getting apps ${inTarget(t)} as ${s.user}`);
      say();
      const [apps, routes, domains] = await Promise.all([
        s.client.apps({ spaceGuid: t.space.guid }),
        s.client.routes(),
        s.client.domains(),
      ]);
      const instances = await Promise.all(apps.map((a) => s.client.instances(a.guid)));
      printTable(
        ['name', 'requested state', 'instances', 'memory', 'routes'],
        apps.map((a, i) => [
          a.name,
          a.state.toLowerCase(),
          `${runningCount(instances[i] ?? [])}/${a.instances}`,
          formatMemory(a.memoryMb),
          routeNamesOf(a.guid, routes, domains).join(', '),
        ]),
      );
    });

  program
    .command('app')
    .argument('<name>', 'app name')
    .option('--guid', "print only the app's GUID, for scripts (the policy API names apps by GUID)")
    .description('show an app and its instances')
    .action(async (name: string, opts: { guid?: boolean }) => {
      const s = openSession();
      const t = requireTarget(s);
      const app = await findApp(s, t.space, name);
      if (opts.guid === true) {
        say(app.guid);
        return;
      }
      progress(`Showing health and status for app ${name} ${inTarget(t)} as ${s.user}`);
      say();
      await printAppSummary(s, app);
    });

  program
    .command('scale')
    .argument('<name>', 'app name')
    .option('-i, --instances <n>', 'number of instances')
    .option('-m, --memory <size>', 'memory limit per instance, e.g. 256M or 1G')
    .description('change the instance count or memory of an app')
    .action(async (name: string, opts: { instances?: string; memory?: string }) => {
      const patch: AppPatch = {};
      if (opts.instances !== undefined) patch.instances = parseInstances(opts.instances);
      if (opts.memory !== undefined) patch.memoryMb = parseMemory(opts.memory);
      if (Object.keys(patch).length === 0)
        throw new Error('Incorrect Usage: give -i INSTANCES and/or -m MEMORY');
      const s = openSession();
      const t = requireTarget(s);
      const app = await findApp(s, t.space, name);
      progress(`Scaling app ${name} ${inTarget(t)} as ${s.user}`);
      await s.client.updateApp(app.guid, patch);
      ok();
    });

  registerStateChange(program, 'start', 'STARTED', 'Starting');
  registerStateChange(program, 'stop', 'STOPPED', 'Stopping');

  program
    .command('restart')
    .argument('<name>', 'app name')
    .description('replace every instance of an app with a new one')
    .action(async (name: string) => {
      const s = openSession();
      const t = requireTarget(s);
      const app = await findApp(s, t.space, name);
      progress(`Restarting app ${name} ${inTarget(t)} as ${s.user}`);
      if (app.state === 'STOPPED') await s.client.updateApp(app.guid, { state: 'STARTED' });
      else await s.client.restartApp(app.guid);
      ok();
    });

  program
    .command('delete')
    .argument('<name>', 'app name')
    .option('-f, --force', 'do not ask for confirmation')
    .description('delete an app, its policies and route mappings')
    .action(async (name: string, opts: { force?: boolean }) => {
      const s = openSession();
      const t = requireTarget(s);
      await deleteIfFound(opts.force, {
        kind: 'app',
        name,
        doing: `Deleting app ${name} ${inTarget(t)} as ${s.user}`,
        find: async () => (await s.client.apps({ spaceGuid: t.space.guid, name }))[0],
        remove: (app) => s.client.deleteApp(app.guid),
      });
    });

  registerMtls(program, 'enable-c2c-mtls', true);
  registerMtls(program, 'disable-c2c-mtls', false);
}

function registerStateChange(program: Command, verb: string, state: AppState, doing: string): void {
  program
    .command(verb)
    .argument('<name>', 'app name')
    .description(`${verb} an app`)
    .action(async (name: string) => {
      const s = openSession();
      const t = requireTarget(s);
      const app = await findApp(s, t.space, name);
      if (app.state === state) {
        say(`App ${name} is already ${state.toLowerCase()}`);
        ok();
        return;
      }
      progress(`${doing} app ${name} ${inTarget(t)} as ${s.user}`);
      await s.client.updateApp(app.guid, { state });
      ok();
    });
}

function registerMtls(program: Command, verb: string, mtls: boolean): void {
  program
    .command(verb)
    .argument('<name>', 'app name')
    .description(
      `${mtls ? 'require' : 'stop requiring'} client certificates from callers of the app on 61443`,
    )
    .action(async (name: string) => {
      const s = openSession();
      const t = requireTarget(s);
      const app = await findApp(s, t.space, name);
      progress(
        `${mtls ? 'Enabling' : 'Disabling'} mutual TLS on 61443 for app ${name} ${inTarget(t)} as ${s.user}`,
      );
      await s.client.updateApp(app.guid, { mtls });
      ok();
    });
}
