// `weft space`, `quota`, `set-space-quota`: what a space holds and what it may hold.
import type { Command } from 'commander';
import type { SpaceView, Quota } from '../../contract/api.js';
import { ok, printFields, printTable, progress, say } from '../output.js';
import { formatBytes, formatMemory, parseBytes, parseCount, parseMemory } from './flags.js';
import { findOrg, findSpace, openSession, requireTarget, targetName, type Session } from './session.js';

interface QuotaFlags {
  apps?: string;
  instances?: string;
  memory?: string;
  routes?: string;
  policies?: string;
  envSize?: string;
}

export function registerQuotas(program: Command): void {
  program
    .command('space')
    .argument('<space>', 'name of the space')
    .option('-o, --org <org>', 'org of the space (default: the targeted org)')
    .description('show a space: its org, its apps, and its quota beside what it uses')
    .action(async (name: string, opts: { org?: string }) => {
      const s = openSession();
      const org = opts.org !== undefined ? await findOrg(s, opts.org) : requireOrg(s);
      const space = await findSpace(s, org, name);
      progress(`Getting info for space ${name} in org ${org.name} as ${s.user}`);
      const [detail, apps] = await Promise.all([
        s.client.space(space.guid),
        s.client.apps({ spaceGuid: space.guid }),
      ]);
      say();
      printFields([
        ['name', detail.name],
        ['org', detail.org.name],
        ['apps', apps.map((a) => a.name).join(', ')],
      ]);
      say();
      printQuota(detail);
    });

  program
    .command('quota')
    .description("show the targeted space's quota beside what it uses")
    .action(async () => {
      const s = openSession();
      const t = requireTarget(s);
      progress(`Getting quota of ${targetName(t)} as ${s.user}`);
      const detail = await s.client.space(t.space.guid);
      say();
      printQuota(detail);
    });

  program
    .command('set-space-quota')
    .argument('<space>', 'name of the space')
    .option('-o, --org <org>', 'org of the space (default: the targeted org)')
    .option('--apps <n>', 'apps the space may hold')
    .option('--instances <n>', 'instances of all its apps together')
    .option('--memory <size>', 'memory of all its instances together, e.g. 20G')
    .option('--routes <n>', 'routes the space may own')
    .option('--policies <n>', 'policies whose source app is in the space')
    .option('--env-size <size>', "size of one app's env as JSON, e.g. 64K")
    .description('change the quota of a space (admin only); quotas not named keep their value')
    .action(async (name: string, opts: QuotaFlags & { org?: string }) => {
      const quota = quotaOf(opts);
      const s = openSession();
      const org = opts.org !== undefined ? await findOrg(s, opts.org) : requireOrg(s);
      const space = await findSpace(s, org, name);
      progress(`Setting quota of space ${name} in org ${org.name} as ${s.user}`);
      await s.client.setSpaceQuota(space.guid, quota);
      ok();
    });
}

function requireOrg(s: Session) {
  if (s.config.org === undefined) throw new Error("No org targeted, use 'weft target -o ORG'");
  return s.config.org;
}

function quotaOf(opts: QuotaFlags): Partial<Quota> {
  const quota: Partial<Quota> = {};
  if (opts.apps !== undefined) quota.apps = parseCount('--apps', opts.apps);
  if (opts.instances !== undefined) quota.instances = parseCount('--instances', opts.instances);
  if (opts.memory !== undefined) quota.memoryMb = parseMemory(opts.memory);
  if (opts.routes !== undefined) quota.routes = parseCount('--routes', opts.routes);
  if (opts.policies !== undefined) quota.policies = parseCount('--policies', opts.policies);
  if (opts.envSize !== undefined) quota.envBytes = parseBytes('--env-size', opts.envSize);
  if (Object.keys(quota).length === 0) {
    throw new Error(
      'name at least one quota to set: --apps, --instances, --memory, --routes, --policies or --env-size',
    );
  }
  return quota;
}

function printQuota(d: SpaceView): void {
  const rows: [string, keyof Quota, (n: number) => string][] = [
    ['apps', 'apps', String],
    ['instances', 'instances', String],
    ['memory', 'memoryMb', formatMemory],
    ['routes', 'routes', String],
    ['policies', 'policies', String],
    ['env per app', 'envBytes', formatBytes],
  ];
  printTable(
    ['quota', 'used', 'limit'],
    rows.map(([label, key, format]) => [label, format(d.usage[key]), format(d.quota[key])]),
  );
}
