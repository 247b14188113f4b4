// `weft push NAME [flags]` and `weft push -f manifest.yml`: create or update apps, then map their routes.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { App, Domain } from '../../model/types.js';
import type { AppPatch } from '../../contract/api.js';
import { parseManifest, type ManifestApp } from '../manifest.js';
import { ok, progress, say } from '../output.js';
import { printAppSummary } from './app-summary.js';
import { formatSize, parseInstances, parseMemory } from './flags.js';
import { packApp } from '../../package/pack.js';
import { openSession, requireTarget, type Session, type Target, targetName } from './session.js';

interface PushFlags {
  command?: string;
  path?: string;
  instances?: string;
  memory?: string;
  manifest?: string;
  start: boolean;
}

export function registerPush(program: Command): void {
  program
    .command('push')
    .argument('[name]', 'app name (with -f: the one app of the manifest to push)')
    .option('-c, --command <command>', 'start command')
    .option('-p, --path <dir>', 'working directory of the app (default: the current directory)')
    .option('-i, --instances <n>', 'number of instances')
    .option('-m, --memory <size>', 'memory limit per instance, e.g. 256M or 1G')
    .option('-f, --manifest <file>', 'Cloud Foundry manifest (manifest.yml)')
    .option('--no-start', 'create or update the app without starting it')
    .description('create or update an app and start it')
    .action(async (name: string | undefined, flags: PushFlags) => {
      const apps = appsToPush(name, flags);
      const s = openSession();
      const t = requireTarget(s);
      for (const app of apps) await pushOne(s, t, app, flags.start);
    });
}

function appsToPush(name: string | undefined, flags: PushFlags): ManifestApp[] {
  const fromFlags = flagOverrides(flags);
  if (flags.manifest === undefined) {
    if (name === undefined)
      throw new Error(
        'Incorrect Usage: give an app name or a manifest: weft push NAME or weft push -f manifest.yml',
      );
    return [{ name, path: path.resolve(flags.path ?? '.'), ...fromFlags }];
  }
  let apps = readManifest(flags.manifest);
  if (name !== undefined) {
    apps = apps.filter((a) => a.name === name);
    if (apps.length === 0) throw new Error(`App '${name}' is not in the manifest ${flags.manifest}`);
  }
  if (Object.keys(fromFlags).length > 0 || flags.path !== undefined) {
    const [only] = apps;
    if (apps.length !== 1 || only === undefined) {
      throw new Error(
        'Incorrect Usage: -c, -p, -i and -m apply to one app; name it: weft push NAME -f manifest.yml',
      );
    }
    return [{ ...only, ...fromFlags, path: flags.path !== undefined ? path.resolve(flags.path) : only.path }];
  }
  return apps;
}

function flagOverrides(flags: PushFlags): Partial<ManifestApp> {
  const out: Partial<ManifestApp> = {};
  if (flags.command !== undefined) out.command = flags.command;
  if (flags.instances !== undefined) out.instances = parseInstances(flags.instances);
  if (flags.memory !== undefined) out.memoryMb = parseMemory(flags.memory);
  return out;
}

function readManifest(file: string): ManifestApp[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the manifest ${file}: ${(err as Error).message}`);
  }
  return parseManifest(text, path.dirname(path.resolve(file)));
}

async function pushOne(s: Session, t: Target, want: ManifestApp, start: boolean): Promise<void> {
  progress(`Pushing app ${want.name} to ${targetName(t)} as ${s.user}`);
  const state = start ? 'STARTED' : 'STOPPED';
  const [existing] = await s.client.apps({ spaceGuid: t.space.guid, name: want.name });
  let app: App;
  if (existing) {
    say(`Updating app ${want.name}...`);
    app = existing;
  } else {
    if (want.command === undefined) {
      throw new Error(
        `App '${want.name}' needs a start command: pass -c COMMAND or set command in the manifest`,
      );
    }
    say(`Creating app ${want.name}...`);
    // Stopped until its bits are uploaded: an instance has nothing to run before.
    app = await s.client.createApp({
      name: want.name,
      spaceGuid: t.space.guid,
      command: want.command,
      instances: want.instances,
      memoryMb: want.memoryMb,
      env: want.env,
      state: 'STOPPED',
    });
  }
  app = await uploadBits(s, app, want.path);
  const patch: AppPatch = { state };
  if (existing && want.command !== undefined) patch.command = want.command;
  if (existing && want.instances !== undefined) patch.instances = want.instances;
  if (existing && want.memoryMb !== undefined) patch.memoryMb = want.memoryMb;
  if (existing && want.env !== undefined) patch.env = want.env;
  app = await s.client.updateApp(app.guid, patch);
  if (want.routes !== undefined && want.routes.length > 0) await mapRoutes(s, app, want.routes);
  ok();
  await printAppSummary(s, app);
  say();
}

/** Packs the app directory and uploads it, unless the app already has exactly these bits. */
async function uploadBits(s: Session, app: App, dir: string): Promise<App> {
  const { maxPackageBytes } = await s.client.info();
  say('Packaging files to upload...');
  const packed = await packApp(dir, { maxBytes: maxPackageBytes });
  try {
    if (packed.skipped.length > 0) {
      say(`Left out what is not a file, directory or symlink: ${packed.skipped.join(', ')}`);
    }
    if (app.packageDigest === packed.digest) {
      say('The app already has these files; nothing to upload.');
      return app;
    }
    const files = `${packed.entries} ${packed.entries === 1 ? 'file' : 'files'}`;
    say(`Uploading files (${files}, ${formatSize(packed.size)})...`);
    return await s.client.uploadPackage(app.guid, packed.file);
  } finally {
    await packed.dispose();
  }
}

async function mapRoutes(s: Session, app: App, routes: string[]): Promise<void> {
  const domains = await s.client.domains();
  for (const route of routes) {
    const { host, domain } = splitRoute(route, domains);
    say(`Mapping route ${route} to app ${app.name}...`);
    const r = await s.client.findOrCreateRoute(host, domain.guid, app.spaceGuid);
    await s.client.mapRoute(r.guid, app.guid);
  }
}

/** "app-b.apps.internal" → host "app-b" on the longest known domain that ends the name. */
export function splitRoute(route: string, domains: Domain[]): { host: string; domain: Domain } {
  const domain = domains
    .filter((d) => route.endsWith(`.${d.name}`) && route.length > d.name.length + 1)
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!domain) throw new Error(`route ${route}: no known domain ends it; 'weft domains' lists them`);
  return { host: route.slice(0, route.length - domain.name.length - 1), domain };
}
