// `weft create-org`, `orgs`, `delete-org`, `create-space`, `spaces`, `delete-space`
import type { Command } from 'commander';
import { saveConfig, type Named } from '../config.js';
import { deleteIfFound, ok, printTable, progress, say } from '../output.js';
import { findOrg, openSession, type Session } from './session.js';

export function registerTenancy(program: Command): void {
  program
    .command('create-org')
    .argument('<org>', 'name of the new org')
    .description('create an org')
    .action(async (name: string) => {
      const s = openSession();
      progress(`Creating org ${name} as ${s.user}`);
      await s.client.createOrg(name);
      ok();
      say(`TIP: Use 'weft target -o ${name}' to target new org`);
    });

  program
    .command('orgs')
    .description('list orgs')
    .action(async () => {
      const s = openSession();
      progress(`Getting orgs as ${s.user}`);
      say();
      printTable(
        ['name'],
        (await s.client.orgs()).map((o) => [o.name]),
      );
    });

  program
    .command('delete-org')
    .argument('<org>', 'name of the org')
    .option('-f, --force', 'do not ask for confirmation')
    .description('delete an org with its spaces, their apps, policies and routes')
    .action(async (name: string, opts: { force?: boolean }) => {
      const s = openSession();
      await deleteIfFound(opts.force, {
        kind: 'org',
        name,
        including: 'with its spaces, apps and routes',
        doing: `Deleting org ${name} as ${s.user}`,
        find: async () => (await s.client.orgs()).find((o) => o.name === name),
        remove: async (org) => {
          await s.client.deleteOrg(org.guid);
          if (s.config.org?.guid !== org.guid) return;
          delete s.config.org;
          delete s.config.space;
          saveConfig(s.config);
        },
      });
    });

  program
    .command('create-space')
    .argument('<space>', 'name of the new space')
    .option('-o, --org <org>', 'org of the space (default: the targeted org)')
    .description('create a space')
    .action(async (name: string, opts: { org?: string }) => {
      const s = openSession();
      const org = await orgOf(s, opts.org);
      progress(`Creating space ${name} in org ${org.name} as ${s.user}`);
      await s.client.createSpace(name, org.guid);
      ok();
      say(`TIP: Use 'weft target -o ${org.name} -s ${name}' to target new space`);
    });

  program
    .command('spaces')
    .description('list spaces of the targeted org')
    .action(async () => {
      const s = openSession();
      const org = await orgOf(s, undefined);
      progress(`Getting spaces in org ${org.name} as ${s.user}`);
      say();
      printTable(
        ['name'],
        (await s.client.spaces(org.guid)).map((sp) => [sp.name]),
      );
    });

  program
    .command('delete-space')
    .argument('<space>', 'name of the space')
    .option('-o, --org <org>', 'org of the space (default: the targeted org)')
    .option('-f, --force', 'do not ask for confirmation')
    .description('delete a space with its apps, their policies, and the routes it owns')
    .action(async (name: string, opts: { org?: string; force?: boolean }) => {
      const s = openSession();
      const org = await orgOf(s, opts.org);
      await deleteIfFound(opts.force, {
        kind: 'space',
        name,
        including: 'with its apps and routes',
        doing: `Deleting space ${name} in org ${org.name} as ${s.user}`,
        find: async () => (await s.client.spaces(org.guid)).find((sp) => sp.name === name),
        remove: async (space) => {
          await s.client.deleteSpace(space.guid);
          if (s.config.space?.guid !== space.guid) return;
          delete s.config.space;
          saveConfig(s.config);
          say("TIP: No space targeted, use 'weft target -s SPACE' to target a space.");
        },
      });
    });
}

async function orgOf(s: Session, name: string | undefined): Promise<Named> {
  if (name !== undefined) return findOrg(s, name);
  if (s.config.org === undefined) throw new Error("No org targeted, use 'weft target -o ORG'");
  return s.config.org;
}
