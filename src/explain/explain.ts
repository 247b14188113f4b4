// Why can (or can't) app A reach app B: every layer a new connection crosses, judged from facts the
// control plane gathered (its records, and what each cell read back from its own kernel and proxy).
// Pure: the endpoint gathers, this decides and words it.
import type { CellAnswer } from '../contract/inspect.js';
import { probeStep, type ProbeFacts } from './probe-step.js';
import type { Explanation, ExplainStep } from '../contract/explain.js';
import { C2C_TLS_PORT } from '../model/ports.js';
import type { App, Instance, Policy, Protocol } from '../model/types.js';

export interface NameTarget {
  appGuid: string;
  appName: string;
  /** Set for INDEX.HOST.DOMAIN, which names one instance. */
  index: number | null;
}

export interface ExplainFacts {
  source: App;
  destination: App;
  sourceInstances: Instance[];
  destinationInstances: Instance[];
  protocol: Protocol;
  port: number;
  /** The dialled name and what it resolves to (empty: nothing); null when no name was given. */
  hostname: { name: string; targets: NameTarget[] } | null;
  /** Policies from the source to the destination, any protocol and port. */
  policies: Policy[];
  /** Each cell's answer, by cell id; null when it did not answer. */
  answers: Map<string, CellAnswer | null>;
  /** Set when a probe was asked for: the pair probed and what the source's cell saw (null: no answer, or no pair). */
  probe?: ProbeFacts | null;
}

const at = (i: Instance, app: App) =>
  `${app.name}/${i.index} (${i.ip ?? 'no address yet'} on cell ${i.cellId})`;

export function explain(f: ExplainFacts): Explanation {
  const { source: src, destination: dst, protocol, port } = f;
  const flow = `${protocol}/${port}`;
  const steps: ExplainStep[] = [];
  const srcUp = f.sourceInstances.filter((i) => i.ip !== null);
  const dstUp = f.destinationInstances.filter((i) => i.ip !== null);

  steps.push(
    srcUp.length === 0 || dstUp.length === 0
      ? {
          layer: 'instances',
          status: 'unknown',
          text: `${srcUp.length === 0 ? src.name : dst.name} has no instance with an address: nothing to reach or reach from yet`,
        }
      : {
          layer: 'instances',
          status: 'ok',
          text: `${src.name}: ${srcUp.map((i) => at(i, src)).join(', ')}; ${dst.name}: ${dstUp.map((i) => at(i, dst)).join(', ')}`,
        },
  );

  if (f.hostname !== null) steps.push(dnsStep(f.hostname, dst, dstUp));

  const covering = f.policies.filter(
    (p) => p.protocol === protocol && p.startPort <= port && port <= p.endPort,
  );
  const allowed = covering.length > 0;
  steps.push(
    allowed
      ? {
          layer: 'policy',
          status: 'ok',
          text: `allowed by the policy ${src.name} → ${dst.name} ${protocol}/${covering.map(ports).join(', ')}`,
        }
      : {
          layer: 'policy',
          status: 'fail',
          text:
            `no policy lets ${src.name} reach ${dst.name} on ${flow}` +
            `${f.policies.length > 0 ? ` (policies it has: ${f.policies.map((p) => `${p.protocol}/${ports(p)}`).join(', ')})` : ''}; ` +
            `add one: weft add-network-policy ${src.name} ${dst.name} --protocol ${protocol} --port ${port}`,
        },
  );

  steps.push(...kernelSteps(f, srcUp, dstUp, allowed));

  if (protocol === 'tcp' && port === C2C_TLS_PORT) {
    steps.push(...certificateSteps(f, dstUp));
    steps.push(
      !dst.mtls
        ? { layer: 'mtls', status: 'ok', text: `${dst.name} does not require client certificates on 61443` }
        : allowed
          ? {
              layer: 'mtls',
              status: 'ok',
              text: `${dst.name} requires a client certificate: ${src.name} must present its instance identity (CF_INSTANCE_CERT, OU=app:${src.guid}), which the policy on 61443 admits`,
            }
          : {
              layer: 'mtls',
              status: 'fail',
              text: `${dst.name} requires a client certificate of an app a policy admits on 61443; none admits ${src.name}, so its handshake is refused even over an open path`,
            },
    );
  }

  if (f.probe !== undefined) steps.push(probeStep(f.probe, src, dst, flow));

  const failed = steps.find((s) => s.status === 'fail');
  const verdict = failed ? 'denied' : steps.some((s) => s.status === 'unknown') ? 'unknown' : 'allowed';
  const summary =
    verdict === 'allowed'
      ? `${src.name} can reach ${dst.name} on ${flow}`
      : verdict === 'denied'
        ? `${src.name} cannot reach ${dst.name} on ${flow}: ${failed?.layer}`
        : `nothing stops ${src.name} reaching ${dst.name} on ${flow}, but not every layer could be checked`;
  return { verdict, summary, steps };
}

function ports(p: Policy): string {
  return p.startPort === p.endPort ? `${p.startPort}` : `${p.startPort}-${p.endPort}`;
}

function dnsStep(
  hostname: { name: string; targets: NameTarget[] },
  dst: App,
  dstUp: Instance[],
): ExplainStep {
  const { name, targets } = hostname;
  if (targets.length === 0) {
    return {
      layer: 'dns',
      status: 'fail',
      text: `${name} is not an internal route of any app: it does not resolve (NXDOMAIN); map one: weft map-route ${dst.name} DOMAIN --hostname HOST`,
    };
  }
  const mine = targets.filter((t) => t.appGuid === dst.guid);
  const others = targets.filter((t) => t.appGuid !== dst.guid).map((t) => t.appName);
  if (mine.length === 0) {
    return {
      layer: 'dns',
      status: 'fail',
      text: `${name} resolves to ${[...new Set(others)].join(', ')}, not to ${dst.name}`,
    };
  }
  const index = mine[0]?.index ?? null;
  const addresses = dstUp.filter((i) => index === null || i.index === index).map((i) => i.ip);
  return {
    layer: 'dns',
    status: addresses.length > 0 ? 'ok' : 'unknown',
    text:
      `${name} resolves to ${dst.name}${index === null ? '' : `/${index}`}: ${addresses.join(', ') || 'no address yet'}` +
      (others.length > 0 ? ` (and to ${[...new Set(others)].join(', ')})` : ''),
  };
}

/** The policy check runs on the source's cell (leaving) and on the destination's (arriving from another cell). */
function kernelSteps(f: ExplainFacts, srcUp: Instance[], dstUp: Instance[], allowed: boolean): ExplainStep[] {
  const steps: ExplainStep[] = [];
  for (const s of srcUp) {
    for (const d of dstUp) {
      const cells = [...new Set([s.cellId, d.cellId])];
      for (const cellId of cells) {
        const pair = `${f.source.name}/${s.index} → ${f.destination.name}/${d.index}`;
        const answer = f.answers.get(cellId) ?? null;
        const seen = answer?.flows.find(
          (x) => x.srcIp === s.ip && x.dstIp === d.ip && x.protocol === f.protocol && x.port === f.port,
        );
        if (answer === null || answer.error !== undefined || seen === undefined) {
          steps.push({
            layer: 'kernel',
            status: 'unknown',
            text: `cell ${cellId} did not say what its kernel holds for ${pair}${answer?.error !== undefined ? ` (${answer.error})` : ' (it follows another server, or did not answer in time)'}`,
          });
          continue;
        }
        const tags = `tags ${seen.srcTag ?? 'none'} → ${seen.dstTag ?? 'none'}`;
        if (seen.admitted === allowed) {
          steps.push({
            layer: 'kernel',
            status: allowed ? 'ok' : 'fail',
            text: `cell ${cellId}'s live nftables table ${allowed ? 'admits' : 'drops'} ${pair} on ${f.protocol}/${f.port} (${tags})`,
          });
        } else if (allowed) {
          steps.push({
            layer: 'kernel',
            status: 'fail',
            text:
              `the policy allows ${pair} but cell ${cellId}'s live nftables table does not hold it (${tags}): ` +
              `the kernel drops it. The cell's resync puts it back (every --resync-interval, counted in weft_cell_resync_repairs_total)`,
          });
        } else {
          steps.push({
            layer: 'kernel',
            status: 'fail',
            text: `cell ${cellId}'s live nftables table admits ${pair} though no policy allows it (${tags}): report this; the cell's resync rebuilds a table that drifted`,
          });
        }
      }
    }
  }
  return steps;
}

function certificateSteps(f: ExplainFacts, dstUp: Instance[]): ExplainStep[] {
  return dstUp.map((d): ExplainStep => {
    const answer = f.answers.get(d.cellId) ?? null;
    const names = answer?.certificates.find((c) => c.instanceGuid === d.guid)?.names ?? null;
    const who = `${f.destination.name}/${d.index}`;
    if (names === null) {
      return {
        layer: 'certificate',
        status: 'unknown',
        text: `cell ${d.cellId} did not say what ${who} serves on 61443`,
      };
    }
    const carried = `${who}'s certificate on 61443 names ${names.join(', ') || 'no route (only its instance GUID)'}`;
    const dialled = f.hostname?.name.toLowerCase();
    if (dialled === undefined) return { layer: 'certificate', status: 'ok', text: carried };
    return names.includes(dialled)
      ? { layer: 'certificate', status: 'ok', text: `${carried}: ${dialled} among them` }
      : {
          layer: 'certificate',
          status: 'fail',
          text: `${carried}, not ${dialled}: a client verifying the name refuses it; map the route: weft map-route ${f.destination.name} DOMAIN --hostname HOST`,
        };
  });
}
