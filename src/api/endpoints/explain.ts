// GET /v1/explain: why app A can or cannot reach app B. The control plane gathers its own records (apps,
// instances, routes, policies) and asks each cell involved what its kernel and proxy hold right now;
// src/explain/explain.ts judges and words it.
import type { Endpoints } from './deps.js';
import { DEVELOPERS, inScope, requireApp } from '../auth.js';
import type { CellQuestion } from '../../contract/inspect.js';
import { Explanation, ExplainQuery } from '../../contract/explain.js';
import { explain, type NameTarget } from '../../explain/explain.js';
import { APP_HTTP_PORT, C2C_TLS_PORT } from '../../model/ports.js';
import { indexedName, routeName } from '../../model/names.js';
import type { Instance } from '../../model/types.js';
import { getApp, listApps } from '../../store/apps.js';
import { listInstances } from '../../store/instances.js';
import { listPolicies } from '../../store/policies.js';
import { listDomains, listRoutes } from '../../store/routes.js';
import type { Db } from '../../store/writer.js';

/** How long explain waits for a cell's reading of its host; a probe's connection takes up to 3 s more. */
const CELL_ANSWER_MS = 3_000;
const PROBE_ANSWER_MS = 8_000;

export const explainEndpoints: Endpoints = (app, { store, questions }, done) => {
  app.get(
    '/v1/explain',
    { config: { allow: DEVELOPERS }, schema: { querystring: ExplainQuery, response: { 200: Explanation } } },
    async (req) => {
      const { protocol = 'tcp', port = APP_HTTP_PORT, hostname, probe = false } = req.query;
      const facts = await store.read(async (db) => {
        const source = requireApp(req, await getApp(db, req.query.source));
        const destination = requireApp(req, await getApp(db, req.query.destination));
        return {
          source,
          destination,
          sourceInstances: await listInstances(db, { appGuid: source.guid }),
          destinationInstances: await listInstances(db, { appGuid: destination.guid }),
          policies: await listPolicies(db, { sourceIds: [source.guid], destIds: [destination.guid] }),
          hostname:
            hostname === undefined
              ? null
              : { name: hostname, targets: await resolve(db, hostname, (space) => inScope(req, space)) },
        };
      });
      const perCell = new Map<string, CellQuestion>();
      const question = (cellId: string): CellQuestion => {
        let q = perCell.get(cellId);
        if (q === undefined) {
          q = { flows: [], certificates: [] };
          perCell.set(cellId, q);
        }
        return q;
      };
      const up = (list: Instance[]) => list.filter((i): i is Instance & { ip: string } => i.ip !== null);
      for (const s of up(facts.sourceInstances)) {
        for (const d of up(facts.destinationInstances)) {
          const flow = { srcIp: s.ip, dstIp: d.ip, protocol, port };
          for (const cellId of new Set([s.cellId, d.cellId])) question(cellId).flows.push(flow);
        }
      }
      if (protocol === 'tcp' && port === C2C_TLS_PORT) {
        for (const d of up(facts.destinationInstances)) question(d.cellId).certificates.push(d.guid);
      }
      const probed = probe
        ? probePair(up(facts.sourceInstances), up(facts.destinationInstances), dialledIndex(facts))
        : null;
      if (probed !== null) {
        question(probed.from.cellId).probe = {
          instanceGuid: probed.from.guid,
          dstIp: probed.to.ip,
          protocol,
          port,
          ...(hostname !== undefined ? { hostname: hostname.replace(/\.$/, '') } : {}),
        };
      }
      const answers = new Map(
        await Promise.all(
          [...perCell].map(async ([cellId, q]) => {
            const wait = q.probe === undefined ? CELL_ANSWER_MS : PROBE_ANSWER_MS;
            return [cellId, await questions.ask(cellId, cap(q), wait)] as const;
          }),
        ),
      );
      const probeFacts =
        probed === null ? null : { ...probed, result: answers.get(probed.from.cellId)?.probe ?? null };
      return explain({ ...facts, protocol, port, answers, probe: probe ? probeFacts : undefined });
    },
  );
  done();
};

/** A question carries at most 64 flows and certificates; explain asks about the first ones. */
function cap(q: CellQuestion): CellQuestion {
  return { ...q, flows: q.flows.slice(0, 64), certificates: q.certificates.slice(0, 64) };
}

type Placed = Instance & { ip: string };

/** The probe runs from the first source instance to the destination instance the dialled name picks. */
function probePair(
  sources: Placed[],
  destinations: Placed[],
  index: number | null,
): { from: Placed; to: Placed } | null {
  const from = sources[0];
  const to = destinations.find((d) => index === null || d.index === index);
  return from === undefined || to === undefined ? null : { from, to };
}

/** What an internal name resolves to, as the cells' DNS serves it: HOST.DOMAIN or INDEX.HOST.DOMAIN. */
async function resolve(
  db: Db,
  hostname: string,
  mayName: (spaceGuid: string) => boolean,
): Promise<NameTarget[]> {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const domains = new Map((await listDomains(db)).map((d) => [d.guid, d]));
  const routes = await listRoutes(db);
  // Any container resolves any internal name, but the caller learns the names of its own spaces' apps only.
  const appNames = new Map(
    (await listApps(db)).map((a) => [a.guid, mayName(a.spaceGuid) ? a.name : 'an app of another space']),
  );
  const targets: NameTarget[] = [];
  for (const r of routes) {
    const domain = domains.get(r.domainGuid);
    if (!domain?.internal) continue;
    const full = routeName(r.host, domain.name);
    const index = name === full ? null : indexOf(name, full);
    if (name !== full && index === null) continue;
    for (const appGuid of r.appGuids)
      targets.push({ appGuid, appName: appNames.get(appGuid) ?? appGuid, index });
  }
  return targets;
}

/** The destination's instance index the dialled name names (INDEX.HOST.DOMAIN), if it names one. */
function dialledIndex(facts: {
  destination: { guid: string };
  hostname: { targets: NameTarget[] } | null;
}): number | null {
  return facts.hostname?.targets.find((t) => t.appGuid === facts.destination.guid)?.index ?? null;
}

function indexOf(name: string, routeFull: string): number | null {
  const m = /^(\d+)\.(.+)$/.exec(name);
  if (m === null || m[2] !== routeFull) return null;
  const index = Number(m[1]);
  return indexedName(index, routeFull) === name ? index : null;
}
