// `weft add-network-policy`, `remove-network-policy`, `network-policies`, with cf v6 and v7 forms.
import type { Command } from 'commander';
import type { App, Protocol } from '../../model/types.js';
import type { WirePolicy } from '../../contract/policies.js';
import { ok, printTable, progress, say } from '../output.js';
import { formatPortRange, parsePortRange, parseProtocol, type PortRange } from './flags.js';
import {
  findApp,
  findOrg,
  findSpace,
  inTarget,
  openSession,
  requireTarget,
  type Session,
  type Target,
} from './session.js';

interface PolicyFlags {
  destinationApp?: string;
  protocol?: string;
  port?: string;
  space?: string;
  org?: string;
}

type PolicyVerb = 'add-network-policy' | 'remove-network-policy';

interface PolicyRequest {
  source: string;
  destination: string;
  protocol: Protocol;
  ports: PortRange;
}

export function registerPolicies(program: Command): void {
  registerPolicyChange(program, 'add-network-policy', 'allow traffic from one app to another', {
    port: 'port or range, e.g. 8080 or 8080-8090 (default: 8080, with --protocol tcp)',
    protocol: 'tcp or udp (default: tcp); give both --protocol and --port, or neither',
  });
  registerPolicyChange(program, 'remove-network-policy', 'stop allowing traffic from one app to another', {
    port: 'port or range of the policy, e.g. 8080 or 8080-8090 (required)',
    protocol: 'tcp or udp (required)',
  });

  program
    .command('network-policies')
    .option('--source <app>', 'only policies from this app')
    .description('list the policies whose source is an app of the targeted space')
    .action(async (opts: { source?: string }) => {
      const s = openSession();
      const t = requireTarget(s);
      const of = opts.source !== undefined ? `of app ${opts.source} ` : '';
      progress(`Listing network policies ${of}${inTarget(t)} as ${s.user}`);
      const sources =
        opts.source !== undefined
          ? [await findApp(s, t.space, opts.source)]
          : await s.client.apps({ spaceGuid: t.space.guid });
      const rows = sources.length === 0 ? [] : await policyRows(s, sources);
      say();
      printTable(
        ['source', 'destination', 'protocol', 'ports', 'destination space', 'destination org'],
        rows,
      );
    });
}

function registerPolicyChange(
  program: Command,
  verb: PolicyVerb,
  description: string,
  help: { port: string; protocol: string },
): void {
  program
    .command(verb)
    .argument('<SOURCE_APP>', 'source app (in the targeted space)')
    .argument('[DESTINATION_APP]', 'destination app (cf v7 form)')
    .option('--destination-app <app>', 'destination app (cf v6 form)')
    .option('--protocol <protocol>', help.protocol)
    .option('--port <port>', help.port)
    .option('-s, --space <space>', "the destination app's space (default: the targeted space)")
    .option('-o, --org <org>', "the destination app's org (default: the targeted org); needs -s")
    .description(description)
    .action(async (source: string, destination: string | undefined, flags: PolicyFlags) => {
      const request = policyRequest(verb, source, destination, flags);
      const s = openSession();
      const t = requireTarget(s);
      const destTarget = await destinationTarget(s, t, flags);
      // As cf: the names as typed, announced before either app is looked up.
      const doing = verb === 'add-network-policy' ? 'Adding' : 'Removing';
      const between =
        flags.space === undefined
          ? `from app ${request.source} to app ${request.destination} ${inTarget(t)}`
          : `from app ${request.source} ${inTarget(t)} to app ${request.destination} ${inTarget(destTarget)}`;
      progress(`${doing} network policy ${between} as ${s.user}`);
      const [sourceApp, destApp] = await Promise.all([
        findApp(s, t.space, request.source),
        findApp(s, destTarget.space, request.destination),
      ]);
      const wire: WirePolicy = {
        source: { id: sourceApp.guid },
        destination: { id: destApp.guid, protocol: request.protocol, ports: request.ports },
      };
      if (verb === 'add-network-policy') await s.client.addPolicies([wire]);
      else if (await exists(s, wire)) await s.client.removePolicies([wire]);
      else say('Policy does not exist.');
      ok();
    });
}

/**
 * Every flag is checked before the API is asked anything, in the cf CLI's order and words: add takes
 * --protocol and --port together or neither (tcp 8080); remove needs both, so a slip of the keyboard
 * never removes a policy nobody named.
 */
export function policyRequest(
  verb: PolicyVerb,
  source: string,
  positional: string | undefined,
  flags: PolicyFlags,
): PolicyRequest {
  const protocol = flags.protocol !== undefined ? parseProtocol(flags.protocol) : undefined;
  const ports = flags.port !== undefined ? parsePortRange(flags.port) : undefined;
  if (verb === 'remove-network-policy') {
    const missing = [ports === undefined ? "`--port'" : null, protocol === undefined ? "`--protocol'" : null];
    const named = missing.filter((flag) => flag !== null);
    if (named.length === 1) throw usage(`the required flag ${named[0]} was not specified`);
    if (named.length === 2) throw usage(`the required flags ${named.join(' and ')} were not specified`);
  }
  if ((protocol === undefined) !== (ports === undefined)) {
    throw usage('--protocol and --port flags must be specified together');
  }
  const named = flags.destinationApp;
  if (positional !== undefined && named !== undefined && positional !== named) {
    throw usage(`two destinations given: '${positional}' and --destination-app '${named}'`);
  }
  const destination = positional ?? named;
  if (destination === undefined) {
    throw usage(
      'the required argument `DESTINATION_APP` was not provided; name it: SOURCE_APP DESTINATION_APP, or --destination-app DESTINATION_APP',
    );
  }
  if (flags.org !== undefined && flags.space === undefined) {
    throw usage("A space must be provided when an org is provided, but the '-s' flag was not specified.");
  }
  return { source, destination, protocol: protocol ?? 'tcp', ports: ports ?? { start: 8080, end: 8080 } };
}

function usage(words: string): Error {
  return new Error(`Incorrect Usage: ${words}`);
}

/** cf looks the policy up among its source's first, and says when there is none to remove. */
async function exists(s: Session, wire: WirePolicy): Promise<boolean> {
  const { policies } = await s.client.policies({ sourceIds: [wire.source.id] });
  const { id, protocol, ports } = wire.destination;
  return policies.some(
    (p) =>
      p.source.id === wire.source.id &&
      p.destination.id === id &&
      p.destination.protocol === protocol &&
      p.destination.ports.start === ports.start &&
      p.destination.ports.end === ports.end,
  );
}

async function destinationTarget(s: Session, t: Target, flags: PolicyFlags): Promise<Target> {
  if (flags.space === undefined) return t;
  const org = flags.org !== undefined ? await findOrg(s, flags.org) : t.org;
  return { org, space: await findSpace(s, org, flags.space) };
}
async function policyRows(s: Session, sources: App[]): Promise<string[][]> {
  const [{ policies }, apps, spaces, orgs] = await Promise.all([
    s.client.policies({ sourceIds: sources.map((a) => a.guid) }),
    s.client.apps(),
    s.client.spaces(),
    s.client.orgs(),
  ]);
  const appByGuid = new Map(apps.map((a) => [a.guid, a]));
  const spaceByGuid = new Map(spaces.map((sp) => [sp.guid, sp]));
  const orgName = new Map(orgs.map((o) => [o.guid, o.name]));
  return policies.map((p) => {
    const dest = appByGuid.get(p.destination.id);
    const space = dest !== undefined ? spaceByGuid.get(dest.spaceGuid) : undefined;
    return [
      appByGuid.get(p.source.id)?.name ?? p.source.id,
      dest?.name ?? p.destination.id,
      p.destination.protocol,
      formatPortRange(p.destination.ports),
      space?.name ?? '',
      space !== undefined ? (orgName.get(space.orgGuid) ?? '') : '',
    ];
  });
}
