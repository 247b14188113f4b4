// `weft events` (the audit log) and the tokens: `create-token`, `tokens`, `revoke-token`
import type { Command } from 'commander';
import type { AuditEvent, TokenCreate } from '../../contract/api.js';
import type { Named } from '../config.js';
import { deleteIfFound, ok, printFields, printTable, progress, say } from '../output.js';
import { parseDuration } from './flags.js';
import { findOrg, findSpace, openSession } from './session.js';

type Role = TokenCreate['role'];
const ROLES: Role[] = ['admin', 'space_developer', 'cell'];
const isRole = (r: string): r is Role => (ROLES as string[]).includes(r);

export function registerAdmin(program: Command): void {
  program
    .command('events')
    .option('--limit <n>', 'how many of the latest events to show (1-1000)', '50')
    .description('show the audit log: who changed what, newest first')
    .action(async (opts: { limit: string }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new Error(`--limit ${opts.limit}: expected a whole number from 1 to 1000`);
      }
      const s = openSession();
      progress(`Getting events as ${s.user}`);
      say();
      printTable(
        ['time', 'actor', 'action', 'target'],
        (await s.client.events(limit)).map((e) => [e.at, e.actor, e.action, describeTarget(e)]),
      );
    });

  program
    .command('create-token')
    .argument('<name>', 'who or what the token is for')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('-s, --space <space...>', 'spaces a space_developer develops in')
    .option('-o, --org <org>', 'org of those spaces (default: the targeted org)')
    .option('--cell <id>', 'the one cell a cell token speaks for')
    .option('--expires <duration>', 'refuse the token after this long, e.g. 12h, 30d')
    .description('create a bearer token; it is shown once')
    .action(async (name: string, opts: CreateTokenFlags) => {
      const role = opts.role;
      if (!isRole(role)) throw new Error(`--role ${role}: expected one of ${ROLES.join(', ')}`);
      if ((opts.role === 'cell') !== (opts.cell !== undefined)) {
        throw new Error('--cell: a cell token names its one cell, and only a cell token does');
      }
      const expiresAt =
        opts.expires === undefined
          ? undefined
          : new Date(Date.now() + parseDuration(opts.expires)).toISOString();
      const s = openSession();
      const spaces: Named[] = [];
      if (opts.space !== undefined) {
        const org = opts.org !== undefined ? await findOrg(s, opts.org) : s.config.org;
        if (org === undefined) throw new Error("No org targeted, use 'weft target -o ORG' or pass -o ORG");
        for (const name of opts.space) spaces.push(await findSpace(s, org, name));
      }
      const inSpaces = spaces.length > 0 ? ` in space ${spaces.map((sp) => sp.name).join(', ')}` : '';
      progress(`Creating token ${name} with role ${opts.role}${inSpaces} as ${s.user}`);
      const created = await s.client.createToken({
        name,
        role,
        spaceGuids: spaces.map((sp) => sp.guid),
        cellId: opts.cell,
        expiresAt,
      });
      ok();
      printFields([
        ['token', created.token],
        ['expires', created.expiresAt ?? 'never'],
      ]);
      say();
      say('The token is shown only this once. Log in with it: weft login --token TOKEN');
    });

  program
    .command('tokens')
    .description('list the tokens: name, role, what each is bound to, expiry (never the secrets)')
    .action(async () => {
      const s = openSession();
      progress(`Getting tokens as ${s.user}`);
      say();
      printTable(
        ['name', 'role', 'bound to', 'created', 'expires'],
        (await s.client.tokens()).map((t) => [
          t.name,
          t.role,
          t.cellId !== null ? `cell ${t.cellId}` : t.spaceGuids.map((g) => `space ${g}`).join(', '),
          t.createdAt,
          t.expiresAt ?? 'never',
        ]),
      );
    });

  program
    .command('revoke-token')
    .argument('<name>', 'the token’s name, as `weft tokens` lists it')
    .option('-f, --force', 'do not ask for confirmation')
    .description('revoke a token at once, ending the change streams it holds open')
    .action(async (name: string, opts: { force?: boolean }) => {
      const s = openSession();
      await deleteIfFound(opts.force, {
        kind: 'token',
        name,
        doing: `Revoking token ${name} as ${s.user}`,
        find: async () => (await s.client.tokens()).find((t) => t.name === name),
        remove: (t) => s.client.revokeToken(t.name),
      });
    });
}

interface CreateTokenFlags {
  role: string;
  space?: string[];
  org?: string;
  cell?: string;
  expires?: string;
}

/** "app:GUID" says little to a person; the name or host in the event's record says more. */
export function describeTarget(e: Pick<AuditEvent, 'target' | 'before' | 'after'>): string {
  const record = e.after ?? e.before;
  if (Array.isArray(record)) return `${e.target} (${record.length})`;
  if (typeof record !== 'object' || record === null) return e.target;
  const { name, host } = record as { name?: unknown; host?: unknown };
  const label = typeof name === 'string' ? name : typeof host === 'string' ? host : undefined;
  return label === undefined ? e.target : `${e.target.split(':')[0]} ${label}`;
}
