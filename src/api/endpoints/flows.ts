// Flow logs: cells report the denied flows their kernels logged; users read those of their own apps.
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
      const own = req.body.flows.filter(
        (f) => cidrContains(cell.subnet, f.srcIp) || cidrContains(cell.subnet, f.dstIp),
      );
      const owners = await addressOwners(store.db, [...new Set(own.flatMap((f) => [f.srcIp, f.dstIp]))]);
      buffer.add(
        own.map((f) => ({
          time: f.time,
          cellId,
          verdict: 'DENIED' as const,
          protocol: f.protocol,
          src: { ip: f.srcIp, port: f.srcPort, ...(owners.get(f.srcIp) ?? NO_OWNER) },
          dst: { ip: f.dstIp, port: f.dstPort, ...(owners.get(f.dstIp) ?? NO_OWNER) },
        })),
      );
      return { kept: own.length };
    },
  );

  app.get(
    '/v1/flows',
    { config: { allow: DEVELOPERS }, schema: { querystring: FlowQuery, response: { 200: FlowPage } } },
    async (req) => {
      const { app: appGuid, since = 0, limit = DEFAULT_PAGE } = req.query;
      if (appGuid !== undefined) await store.read(async (db) => requireApp(req, await getApp(db, appGuid)));
      const mine = (end: FlowEndpoint): boolean => end.spaceGuid !== null && inScope(req, end.spaceGuid);
      // A developer sees a flow when either end is an app of one of their spaces.
      const visible = (f: Flow): boolean => mine(f.src) || mine(f.dst) || inScope(req, null);
      const ofApp = (f: Flow): boolean =>
        appGuid === undefined || f.src.appGuid === appGuid || f.dst.appGuid === appGuid;
      const page = buffer.after({ since, limit, keep: (f) => visible(f) && ofApp(f) });
      // The other end may be another space's app: its address is what the caller's app saw, its names are not.
      const shown = (end: FlowEndpoint): FlowEndpoint =>
        mine(end) || inScope(req, null) ? end : { ip: end.ip, port: end.port, ...NO_OWNER };
      return { ...page, flows: page.flows.map((f) => ({ ...f, src: shown(f.src), dst: shown(f.dst) })) };
    },
  );
  done();
};
