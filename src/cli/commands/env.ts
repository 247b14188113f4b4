// `weft env`, `set-env`, `unset-env`: an app's own environment variables. Unlike Cloud Foundry, where a
// change waits for the next restage, weft has nothing to stage: the app's instances are replaced at once
// and start with the new environment.
import type { Command } from 'commander';
import { ok, progress, say } from '../output.js';
import { findApp, inTarget, openSession, requireTarget } from './session.js';

export function registerEnv(program: Command): void {
  program
    .command('env')
    .argument('<app>', 'app name')
    .description('show the environment variables set for an app')
    .action(async (name: string) => {
      const s = openSession();
      const t = requireTarget(s);
      progress(`Getting env variables for app ${name} ${inTarget(t)} as ${s.user}`);
      const app = await findApp(s, t.space, name);
      ok();
      const names = Object.keys(app.env).sort();
      if (names.length === 0) {
        say('No user-provided env variables have been set');
        return;
      }
      say('User-Provided:');
      for (const key of names) say(`${key}: ${app.env[key]}`);
    });

  program
    .command('set-env')
    .argument('<app>', 'app name')
    .argument('<name>', 'variable name')
    .argument('<value>', 'variable value')
    .description('set an environment variable for an app; its instances restart to pick it up')
    .action(async (appName: string, key: string, value: string) => {
      const s = openSession();
      const t = requireTarget(s);
      progress(`Setting env variable ${key} for app ${appName} ${inTarget(t)} as ${s.user}`);
      const app = await findApp(s, t.space, appName);
      if (app.env[key] !== value) await s.client.updateApp(app.guid, { env: { ...app.env, [key]: value } });
      ok();
    });

  program
    .command('unset-env')
    .argument('<app>', 'app name')
    .argument('<name>', 'variable name')
    .description('remove an environment variable from an app; its instances restart without it')
    .action(async (appName: string, key: string) => {
      const s = openSession();
      const t = requireTarget(s);
      progress(`Removing env variable ${key} from app ${appName} ${inTarget(t)} as ${s.user}`);
      const app = await findApp(s, t.space, appName);
      if (!(key in app.env)) say(`Env variable ${key} was not set.`);
      else {
        const env = Object.fromEntries(Object.entries(app.env).filter(([k]) => k !== key));
        await s.client.updateApp(app.guid, { env });
      }
      ok();
    });
}
