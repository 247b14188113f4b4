// What cells call: registration (subnet lease), instance reports, the snapshot and the change stream.
import { Type } from '@sinclair/typebox';
import type { Api } from '../server.js';
import { actor, requireRole } from '../auth.js';
import { listCells, registerCell, reportInstance } from '../../store/cells.js';
import { Cell, CellId, Instance } from '../schemas.js';
import { streamChanges } from '../stream.js';

export function cellRoutes(api: Api): void {
  const { store } = api;
  api.app.get('/v1/cells', { schema: { response: { 200: Type.Array(Cell) } } }, () => listCells(store.db));

  api.app.put(
    '/v1/cells/:id',
    {
      schema: {
        params: Type.Object({ id: CellId }),
        body: Type.Object({ hostIp: Type.String({ format: 'ipv4' }) }),
        response: { 200: Cell },
      },
    },
    async (req) => {
      requireRole(req, 'admin', 'cell');
      return store.write(actor(req), (w) => registerCell(w, req.params.id, req.body.hostIp));
    },
  );

  api.app.put(
    '/v1/cells/:id/instances/:guid',
    {
      schema: {
        params: Type.Object({ id: CellId, guid: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: Type.Object({
          state: Type.Union([Type.Literal('STARTING'), Type.Literal('RUNNING'), Type.Literal('CRASHED')]),
          ip: Type.Union([Type.String({ format: 'ipv4' }), Type.Null()]),
        }),
        response: { 200: Instance },
      },
    },
    async (req) => {
      requireRole(req, 'admin', 'cell');
      return store.write(actor(req), (w) => reportInstance(w, req.params.id, req.params.guid, req.body));
    },
  );

  api.app.get(
    '/v1/watch',
    { schema: { querystring: Type.Object({ since: Type.Optional(Type.Integer({ minimum: 0 })) }) } },
    (req, reply) => {
      requireRole(req, 'admin', 'cell');
      streamChanges(store, req, reply, req.query.since ?? 0);
    },
  );
}
