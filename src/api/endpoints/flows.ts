// Flow logs: cells report the denied flows their kernels logged (and, with `--flow-log all`, connections'
// starts and ends); users read those of their own apps.
// The control plane names both ends from its own records, and takes from a cell only flows that touch
// that cell's own subnet, so a cell cannot put words in another's mouth.
import type { Endpoints } from './deps.js';
import { CELLS, DEVELOPERS, inScope, requireApp, requireCell } from '../auth.js';
import { CellId, Closed } from '../../contract/api.js';
import {
  FlowPage,
  FlowQuery,
  FlowReceipt,
  FlowReport,
  type Flow,
  type FlowEndpoint,
} from '../../contract/flows.js';
import { FlowBuffer } from '../../flows/buffer.js';
import { cidrContains } from '../../network/cidr.js';
import { addressOwners, NO_OWNER } from '../../store/address-owners.js';
import { getApp } from '../../store/apps.js';
import { listPolicies } from '../../store/policies.js';
import type { Db } from '../../store/writer.js';

/** Records kept per cell: at the kernel's per-source budget, minutes of a busy cell's denials. */
const FLOWS_PER_CELL = 10_000;
const DEFAULT_PAGE = 100;

export const flowEndpoints: Endpoints = (app, { store }, done) => {
  const buffer = new FlowBuffer(FLOWS_PER_CELL);

  app.post(
    '/v1/cells/:id/flows',
    {
      config: { allow: CELLS },
      schema: {
        params: Closed({ id: CellId }),
        body: FlowReport,
        response: { 200: FlowReceipt },
      },
    },
    async (req) => {
      const cellId = req.params.id;
      requireCell(req, cellId);
      const cell = await store.db
        .selectFrom('cells')
        .select('subnet')
        .where('id', '=', cellId)
        .executeTakeFirst();
      if (!cell) return { kept: 0 };
      // Denials may come from either end's cell; a connection's start and end only from its source's, once.
      const own = req.body.flows.filter((f) =>
        (f.verdict ?? 'DENIED') === 'DENIED'
          ? cidrContains(cell.subnet, f.srcIp) || cidrContains(cell.subnet, f.dstIp)
          : cidrContains(cell.subnet, f.srcIp),
      );
      const owners = await addressOwners(store.db, [...new Set(own.flatMap((f) => [f.srcIp, f.dstIp]))]);
      const ownerOf = (ip: string) => owners.get(ip) ?? NO_OWNER;
      const connections = own.filter((f) => f.verdict !== undefined && f.verdict !== 'DENIED');
      const policies = await coveringPolicies(
        store.db,
        connections.map((f) => ({ ...f, src: ownerOf(f.srcIp).appGuid, dst: ownerOf(f.dstIp).appGuid })),
      );
      buffer.add(
        own.map((f) => {
          const verdict = f.verdict ?? 'DENIED';
          const src = ownerOf(f.srcIp);
          const dst = ownerOf(f.dstIp);
          return {
            time: f.time,
            cellId,
            verdict,
            protocol: f.protocol,
            src: { ip: f.srcIp, port: f.srcPort, ...src },
            dst: { ip: f.dstIp, port: f.dstPort, ...dst },
            ...(verdict === 'DENIED'
              ? {}
              : { policy: policies(src.appGuid, dst.appGuid, f.protocol, f.dstPort) }),
          };
        }),
      );
      return { kept: own.length };
    },
  );

  app.get(
    '/v1/flows',
    { config: { allow: DEVELOPERS }, schema: { querystring: FlowQuery, response: { 200: FlowPage } } },
    async (req) => {
      const { app: appGuid, verdict, since = 0, limit = DEFAULT_PAGE } = req.query;
      if (appGuid !== undefined) await store.read(async (db) => requireApp(req, await getApp(db, appGuid)));
      const mine = (end: FlowEndpoint): boolean => end.spaceGuid !== null && inScope(req, end.spaceGuid);
      // A developer sees a flow when either end is an app of one of their spaces.
      const visible = (f: Flow): boolean => mine(f.src) || mine(f.dst) || inScope(req, null);
      const ofApp = (f: Flow): boolean =>
        appGuid === undefined || f.src.appGuid === appGuid || f.dst.appGuid === appGuid;
      const ofVerdict = (f: Flow): boolean => verdict === undefined || f.verdict === verdict;
      const page = buffer.after({ since, limit, keep: (f) => visible(f) && ofApp(f) && ofVerdict(f) });
      // The other end may be another space's app: its address is what the caller's app saw, its names are not.
      const shown = (end: FlowEndpoint): FlowEndpoint =>
        mine(end) || inScope(req, null) ? end : { ip: end.ip, port: end.port, ...NO_OWNER };
      return { ...page, flows: page.flows.map((f) => ({ ...f, src: shown(f.src), dst: shown(f.dst) })) };
    },
  );
  done();
};

type PolicyCover = NonNullable<Flow['policy']>;

/** Looks up, for connections between known apps, the policy that covers each (protocol and port). */
async function coveringPolicies(
  db: Db,
  flows: { src: string | null; dst: string | null }[],
): Promise<(src: string | null, dst: string | null, protocol: string, port: number) => PolicyCover | null> {
  const known = flows.filter((f): f is { src: string; dst: string } => f.src !== null && f.dst !== null);
  const list =
    known.length === 0
      ? []
      : await listPolicies(db, {
          sourceIds: [...new Set(known.map((f) => f.src))],
          destIds: [...new Set(known.map((f) => f.dst))],
        });
  return (src, dst, protocol, port) => {
    const p = list.find(
      (x) =>
        x.sourceAppGuid === src &&
        x.destAppGuid === dst &&
        x.protocol === protocol &&
        x.startPort <= port &&
        port <= x.endPort,
    );
    return p === undefined ? null : { protocol: p.protocol, startPort: p.startPort, endPort: p.endPort };
  };
}
