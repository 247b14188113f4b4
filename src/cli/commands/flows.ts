// `weft flows [--app A] [--denied | --verdict V] [--follow]`: the flows the cells logged, one line each, oldest first,
// in the style of `hubble observe`.
import { InvalidArgumentError, type Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Flow, FlowEndpoint, Verdict } from '../../contract/flows.js';
import { progress, say } from '../output.js';
import { findApp, openSession, requireTarget } from './session.js';

const FOLLOW_EVERY_MS = 250;
const PAGE = 1000;

interface FlowFlags {
  app?: string;
  denied: boolean;
  verdict?: Verdict;
  follow: boolean;
  last: string;
}

export function registerFlows(program: Command): void {
  program
    .command('flows')
    .option('--app <name>', 'only flows from or to this app of the targeted space')
    .option('--denied', 'only denied flows (the same as --verdict DENIED)', false)
    .option(
      '--verdict <verdict>',
      'only DENIED, ALLOWED or ENDED flows (the last two when cells run with --flow-log all)',
      verdictOf,
    )
    .option('-f, --follow', 'keep printing flows as the cells report them', false)
    .option('--last <n>', 'how many of the latest flows to print first', '20')
    .description('show the flows between containers that the cells logged')
    .action(async (flags: FlowFlags) => {
      const s = openSession();
      const last = Number(flags.last);
      if (!Number.isInteger(last) || last < 0)
        throw new Error('Incorrect Usage: --last needs a whole number');
      let app: string | undefined;
      if (flags.app !== undefined) {
        const t = requireTarget(s);
        app = (await findApp(s, t.space, flags.app)).guid;
      }
      progress(`Getting flows${flags.app !== undefined ? ` of app ${flags.app}` : ''} as ${s.user}...`);
      say();
      const verdict = flags.denied ? 'DENIED' : flags.verdict;
      if (flags.denied && flags.verdict !== undefined && flags.verdict !== 'DENIED')
        throw new Error('Incorrect Usage: --denied and --verdict disagree');
      const query = { app, verdict };
      // Pages through everything kept, holding on to the latest `last` records only.
      const latest = (flows: Flow[]): Flow[] => (last === 0 ? [] : flows.slice(-last));
      let since = 0;
      let backlog: Flow[] = [];
      for (;;) {
        const page = await s.client.flows({ ...query, since, limit: PAGE });
        backlog = latest([...backlog, ...page.flows]);
        since = page.next;
        if (page.flows.length < PAGE) break;
      }
      for (const f of backlog) say(formatFlow(f));
      while (flags.follow) {
        await sleep(FOLLOW_EVERY_MS);
        const page = await s.client.flows({ ...query, since, limit: PAGE });
        for (const f of page.flows) say(formatFlow(f));
        since = page.next;
      }
    });
}

function endpoint(e: FlowEndpoint): string {
  const who =
    e.appName === null
      ? 'unknown'
      : `${e.orgName ?? '?'}/${e.spaceName ?? '?'}/${e.appName}${e.instanceIndex === null ? '' : `/${e.instanceIndex}`}`;
  return `${who} (${e.ip}:${e.port})`;
}

/** "Nov 27 20:50:00.539: org/space/app-a/0 (10.x:5300) -> org/space/app-b/0 (10.y:8080) tcp DENIED (no policy allows it)". */
export function formatFlow(f: Flow): string {
  const t = new Date(f.time);
  const stamp = `${t.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })} ${String(t.getUTCDate()).padStart(2, '0')} ${t.toISOString().slice(11, 23)}`;
  return `${stamp}: ${endpoint(f.src)} -> ${endpoint(f.dst)} ${f.protocol} ${f.verdict} (${why(f)})`;
}

function why(f: Flow): string {
  if (f.verdict === 'DENIED') return 'no policy allows it';
  const p = f.policy ?? null;
  if (p === null) return 'no policy between the apps covers it';
  return `policy ${p.protocol}/${p.startPort === p.endPort ? p.startPort : `${p.startPort}-${p.endPort}`}`;
}

function verdictOf(value: string): Verdict {
  const v = value.toUpperCase();
  if (v !== 'DENIED' && v !== 'ALLOWED' && v !== 'ENDED')
    throw new InvalidArgumentError('DENIED, ALLOWED or ENDED');
  return v;
}
