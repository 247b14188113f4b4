// `weft create-org`, `orgs`, `create-space`, `spaces`
import type { Command } from 'commander';
import type { Named } from '../config.js';
import { ok, printTable, progress, say } from '../output.js';
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
}

async function orgOf(s: Session, name: string | undefined): Promise<Named> {
  if (name !== undefined) return findOrg(s, name);
  if (s.config.org === undefined) throw new Error("No org targeted, use 'weft target -o ORG'");
  return s.config.org;
}
