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
  protocol: string;
  port: string;
  space?: string;
  org?: string;
}

interface PolicyRequest {
  source: string;
  destination: string;
  protocol: Protocol;
  ports: PortRange;
}

export function registerPolicies(program: Command): void {
  registerPolicyChange(
    program,
    'add-network-policy',
    'allow traffic from one app to another',
    async (s, wire) => {
      await s.client.addPolicies([wire]);
    },
  );
  registerPolicyChange(
    program,
    'remove-network-policy',
    'stop allowing traffic from one app to another',
    async (s, wire) => {
      await s.client.removePolicies([wire]);
    },
  );

  program
    .command('network-policies')
    .option('--source <app>', 'only policies from this app')
    .description('list the policies whose source is an app of the targeted space')
    .action(async (opts: { source?: string }) => {
      const s = openSession();
      const t = requireTarget(s);
      progress(`Listing network policies ${inTarget(t)} as ${s.user}`);
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
  verb: 'add-network-policy' | 'remove-network-policy',
  description: string,
  change: (s: Session, wire: WirePolicy) => Promise<void>,
): void {
  program
    .command(verb)
    .argument('<source>', 'source app (in the targeted space)')
    .argument('[destination]', 'destination app (cf v7 form)')
    .option('--destination-app <app>', 'destination app (cf v6 form)')
    .option('--protocol <protocol>', 'tcp or udp', 'tcp')
    .option('--port <port>', 'port or range, e.g. 8080 or 8080-8090', '8080')
    .option('-s, --space <space>', "the destination app's space (default: the targeted space)")
    .option('-o, --org <org>', "the destination app's org (default: the targeted org); needs -s")
    .description(description)
    .action(async (source: string, destination: string | undefined, flags: PolicyFlags) => {
      const request = policyRequest(source, destination, flags);
      const s = openSession();
      const t = requireTarget(s);
      const destTarget = await destinationTarget(s, t, flags);
      const [sourceApp, destApp] = await Promise.all([
        findApp(s, t.space, request.source),
        findApp(s, destTarget.space, request.destination),
      ]);
      const doing = verb === 'add-network-policy' ? 'Adding' : 'Removing';
      const between =
        destTarget.space.guid === t.space.guid
          ? `from app ${sourceApp.name} to app ${destApp.name} ${inTarget(t)}`
          : `from app ${sourceApp.name} ${inTarget(t)} to app ${destApp.name} ${inTarget(destTarget)}`;
      progress(`${doing} network policy ${between} as ${s.user}`);
      await change(s, {
        source: { id: sourceApp.guid },
        destination: { id: destApp.guid, protocol: request.protocol, ports: request.ports },
      });
      ok();
    });
}

/** Every flag is checked before the API is asked anything. */
export function policyRequest(
  source: string,
  positional: string | undefined,
  flags: PolicyFlags,
): PolicyRequest {
  const named = flags.destinationApp;
  if (positional !== undefined && named !== undefined && positional !== named) {
    throw new Error(
      `Incorrect Usage: two destinations given: '${positional}' and --destination-app '${named}'`,
    );
  }
  const destination = positional ?? named;
  if (destination === undefined) {
    throw new Error('Incorrect Usage: name the destination app: SOURCE DEST, or --destination-app DEST');
  }
  if (flags.org !== undefined && flags.space === undefined) {
    throw new Error("Incorrect Usage: -o ORG needs -s SPACE to name the destination app's space");
  }
  return { source, destination, protocol: parseProtocol(flags.protocol), ports: parsePortRange(flags.port) };
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
