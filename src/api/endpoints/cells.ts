// What cells call: registration (subnet lease), instance reports, env of their instances and the change
// stream. A cell token speaks for its one cell: every /v1/cells/:id route checks that :id is its own.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor, CELLS, requireCell, who } from '../auth.js';
import { getApp } from '../../store/apps.js';
import { listCellStatus, recordPresence, registerCell } from '../../store/cells.js';
import { joinExternalInstance, leaveExternalInstance } from '../../store/external-instances.js';
import { instanceOnCell, reportInstance } from '../../store/instances.js';
import {
  Cell,
  CellId,
  CellPresence,
  CellStatus,
  Closed,
  Guid,
  Instance,
  InstanceEnv,
  InstanceReport,
} from '../../contract/api.js';
import { streamChanges } from '../stream.js';
import { AnswerTaken, CellAnswer } from '../../contract/inspect.js';
import { notFound } from '../../model/errors.js';

const config = { allow: CELLS };
const CellInstance = Closed({ id: CellId, guid: Guid });

export const cellEndpoints: Endpoints = (app, { store, questions }, done) => {
  app.get('/v1/cells', { schema: { response: { 200: Type.Array(CellStatus) } } }, () =>
    listCellStatus(store.db, store.hub.revision),
  );

  // Presence is not part of the world cells follow: heartbeats write no change and no audit event.
  app.put(
    '/v1/cells/:id/presence',
    { config, schema: { params: Closed({ id: CellId }), body: CellPresence } },
    async (req, reply) => {
      requireCell(req, req.params.id);
      await recordPresence(store.db, req.params.id, req.body);
      return reply.code(204).send();
    },
  );

  app.put(
    '/v1/cells/:id',
    {
      config,
      schema: {
        params: Closed({ id: CellId }),
        body: Closed({ hostIp: Type.String({ format: 'ipv4' }) }),
        response: { 200: Cell },
      },
    },
    async (req) => {
      requireCell(req, req.params.id);
      return store.write(actor(req), (w) => registerCell(w, req.params.id, req.body.hostIp));
    },
  );

  app.put(
    '/v1/cells/:id/instances/:guid',
    {
      config,
      schema: {
        params: CellInstance,
        body: InstanceReport,
        response: { 200: Instance },
      },
    },
    async (req) => {
      requireCell(req, req.params.id);
      return store.write(actor(req), (w) => reportInstance(w, req.params.id, req.params.guid, req.body));
    },
  );

  // A container an outside runtime started joins an app through this cell's weft-cni plugin.
  app.post(
    '/v1/cells/:id/external-instances',
    {
      config,
      schema: {
        params: Closed({ id: CellId }),
        body: Closed({ appGuid: Guid }),
        response: { 201: Instance },
      },
    },
    async (req, reply) => {
      requireCell(req, req.params.id);
      const instance = await store.write(actor(req), (w) =>
        joinExternalInstance(w, req.params.id, req.body.appGuid),
      );
      return reply.code(201).send(instance);
    },
  );

  app.delete(
    '/v1/cells/:id/external-instances/:guid',
    { config, schema: { params: CellInstance } },
    async (req, reply) => {
      requireCell(req, req.params.id);
      await store.write(actor(req), (w) => leaveExternalInstance(w, req.params.id, req.params.guid));
      return reply.code(204).send();
    },
  );

  // The stream never carries env: a cell asks for it per instance placed on it, as it starts one.
  app.get(
    '/v1/cells/:id/instances/:guid/env',
    {
      config,
      schema: {
        params: CellInstance,
        response: { 200: InstanceEnv },
      },
    },
    async (req) => {
      requireCell(req, req.params.id);
      return store.read(async (db) => {
        const instance = await instanceOnCell(db, req.params.id, req.params.guid);
        return { env: (await getApp(db, instance.appGuid)).env };
      });
    },
  );

  app.post(
    '/v1/cells/:id/answers/:guid',
    { config, schema: { params: CellInstance, body: CellAnswer, response: { 200: AnswerTaken } } },
    (req) => {
      requireCell(req, req.params.id);
      if (!questions.answer(req.params.id, req.params.guid, req.body)) {
        throw notFound(`no question ${req.params.guid} waits for cell ${req.params.id}`);
      }
      return { taken: true as const };
    },
  );

  app.get(
    '/v1/watch',
    {
      config,
      schema: {
        querystring: Closed({
          since: Type.Optional(Type.Integer({ minimum: 0 })),
          cell: Type.Optional(CellId),
        }),
      },
    },
    (req, reply) => {
      // The cell whose questions this stream carries: a cell token's own; an admin's stream names one.
      const cell = req.query.cell;
      if (cell !== undefined) requireCell(req, cell);
      const id = who(req);
      const questionsFor = id.role === 'cell' ? (id.cellId ?? null) : (cell ?? null);
      streamChanges(store, { questions, cellId: questionsFor }, req, reply, req.query.since ?? 0);
    },
  );
  done();
};
