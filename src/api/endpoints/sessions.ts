// `weft ssh` and `weft logs` through the control plane (see ../sessions.ts). As Cloud Foundry's SSH proxy:
// a space developer (or an admin) may run a shell in an instance of an app of their space, and read its
// logs; an app of another space answers 404 as a missing one. The cell that runs the instance dials back
// to GET /v1/cells/:id/sessions/:sid with its own token and the session's one-time secret.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Duplex } from 'node:stream';
import type { Endpoints } from './deps.js';
import { CELLS, DEVELOPERS, requireApp, requireCell, who } from '../auth.js';
import { requireUpgrade, switchProtocols } from '../upgrade.js';
import type { SessionBroker } from '../sessions.js';
import { CellId, Closed, Guid, GuidParams } from '../../contract/api.js';
import { LogsQuery, SECRET_HEADER, SessionRequest, SshParams, SshQuery } from '../../contract/session.js';
import { conflict, notFound, WeftError } from '../../model/errors.js';
import { getApp } from '../../store/apps.js';
import { listInstances } from '../../store/instances.js';

const gatewayTimeout = (message: string) => new WeftError(504, message);

export const sessionEndpoints: Endpoints = (app, { store, sessions }, done) => {
  app.get(
    '/v1/apps/:guid/instances/:index/ssh',
    { config: { allow: DEVELOPERS }, schema: { params: SshParams, querystring: SshQuery } },
    async (req, reply) => {
      requireUpgrade(req);
      const { guid, index } = req.params;
      const instance = await store.read(async (db) => {
        requireApp(req, await getApp(db, guid));
        return (await listInstances(db, { appGuid: guid })).find((i) => i.index === index);
      });
      if (instance === undefined) throw notFound(`app ${guid} has no instance ${index}`);
      if (instance.state !== 'RUNNING' || instance.cellId === '') {
        throw conflict(`instance ${index} is ${instance.state.toLowerCase()}, not running`);
      }
      const q = req.query;
      const request: SessionRequest = {
        kind: 'ssh',
        instanceGuid: instance.guid,
        ...(q.command !== undefined ? { command: q.command } : {}),
        tty: q.tty ?? false,
        term: q.term ?? 'dumb',
        cols: q.cols ?? 80,
        rows: q.rows ?? 24,
      };
      await open(req, reply, sessions, [[instance.cellId, request]]);
    },
  );

  app.get(
    '/v1/apps/:guid/logs',
    { config: { allow: DEVELOPERS }, schema: { params: GuidParams, querystring: LogsQuery } },
    async (req, reply) => {
      requireUpgrade(req);
      const { guid } = req.params;
      const instances = await store.read(async (db) => {
        requireApp(req, await getApp(db, guid));
        return listInstances(db, { appGuid: guid });
      });
      const cells = [...new Set(instances.map((i) => i.cellId).filter((c) => c !== ''))];
      if (cells.length === 0) throw notFound(`app ${guid} has no instances placed on a cell`);
      const request: SessionRequest = { kind: 'logs', appGuid: guid, recent: req.query.recent ?? false };
      await open(
        req,
        reply,
        sessions,
        cells.map((c) => [c, request]),
      );
    },
  );

  app.get(
    '/v1/cells/:id/sessions/:sid',
    {
      config: { allow: CELLS },
      schema: {
        params: Closed({ id: CellId, sid: Guid }),
        headers: Type.Object({ [SECRET_HEADER]: Type.String({ maxLength: 64 }) }),
      },
    },
    (req, reply) => {
      requireCell(req, req.params.id);
      requireUpgrade(req);
      const secret = req.headers[SECRET_HEADER];
      const deliver = sessions.take(req.params.id, req.params.sid, secret);
      if (deliver === null)
        throw notFound(`no session ${req.params.sid} waits for cell ${req.params.id} here`);
      deliver(switchProtocols(reply));
    },
  );
  done();
};

/** Has each cell dial back, then splices them to the caller; nothing is switched unless all came. */
async function open(
  req: FastifyRequest,
  reply: FastifyReply,
  sessions: SessionBroker,
  orders: [string, SessionRequest][],
): Promise<void> {
  const identity = who(req);
  const release = sessions.reserve(
    identity.tokenId,
    orders.map(([cellId]) => cellId),
  );
  let cells: (Duplex | null)[];
  try {
    cells = await Promise.all(orders.map(([cellId, request]) => sessions.dial(cellId, request)));
  } catch (err) {
    release();
    throw err;
  }
  const missing = orders.filter((_, i) => cells[i] === null).map(([cellId]) => cellId);
  const reached = cells.filter((c): c is Duplex => c !== null);
  if (missing.length > 0) {
    reached.forEach((c) => c.destroy());
    release();
    throw gatewayTimeout(`cell ${missing.join(', ')} did not open the session; is it connected?`);
  }
  void sessions.splice(identity, switchProtocols(reply), reached).finally(release);
}
