// /v1/apps and their instances: developers in their own spaces, admins everywhere.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, requireApp, requireSpace, spaceScope } from '../auth.js';
import { APP_HTTP_PORT } from '../../model/ports.js';
import { createApp, deleteApp, getApp, listApps, restartApp, updateApp } from '../../store/apps.js';
import { listInstances } from '../../store/instances.js';
import { App, AppCreate, AppPatch, Closed, Guid, GuidParams, Instance } from '../../contract/api.js';

const config = { allow: DEVELOPERS };

export const appEndpoints: Endpoints = (app, { store }, done) => {
  app.get(
    '/v1/apps',
    {
      config,
      schema: {
        querystring: Closed({ space_guid: Type.Optional(Guid), name: Type.Optional(Type.String()) }),
        response: { 200: Type.Array(App) },
      },
    },
    async (req) => {
      const scope = spaceScope(req);
      const wanted = req.query.space_guid;
      const spaceGuids = wanted !== undefined ? (scope && !scope.includes(wanted) ? [] : [wanted]) : scope;
      return listApps(store.db, { spaceGuids, name: req.query.name });
    },
  );

  app.post(
    '/v1/apps',
    { config, schema: { body: AppCreate, response: { 201: App } } },
    async (req, reply) => {
      const b = req.body;
      requireSpace(req, b.spaceGuid);
      const app = await store.write(actor(req), (w) =>
        createApp(w, {
          name: b.name,
          spaceGuid: b.spaceGuid,
          command: b.command,
          instances: b.instances ?? 1,
          memoryMb: b.memoryMb ?? 256,
          env: b.env ?? {},
          ports: b.ports ?? [APP_HTTP_PORT],
          state: b.state ?? 'STARTED',
        }),
      );
      return reply.status(201).send(app);
    },
  );

  app.get('/v1/apps/:guid', { config, schema: { params: GuidParams, response: { 200: App } } }, async (req) =>
    requireApp(req, await getApp(store.db, req.params.guid)),
  );

  app.patch(
    '/v1/apps/:guid',
    { config, schema: { params: GuidParams, body: AppPatch, response: { 200: App } } },
    async (req) => {
      requireApp(req, await getApp(store.db, req.params.guid));
      const b = req.body;
      return store.write(actor(req), (w) =>
        updateApp(w, req.params.guid, {
          command: b.command,
          instances: b.instances,
          memoryMb: b.memoryMb,
          env: b.env,
          ports: b.ports,
          state: b.state,
          mtls: b.mtls,
        }),
      );
    },
  );

  app.post(
    '/v1/apps/:guid/restart',
    { config, schema: { params: GuidParams, response: { 200: App } } },
    async (req) => {
      requireApp(req, await getApp(store.db, req.params.guid));
      return store.write(actor(req), (w) => restartApp(w, req.params.guid));
    },
  );

  app.delete('/v1/apps/:guid', { config, schema: { params: GuidParams } }, async (req, reply) => {
    requireApp(req, await getApp(store.db, req.params.guid));
    await store.write(actor(req), (w) => deleteApp(w, req.params.guid));
    return reply.status(204).send();
  });

  app.get(
    '/v1/apps/:guid/instances',
    { config, schema: { params: GuidParams, response: { 200: Type.Array(Instance) } } },
    async (req) => {
      requireApp(req, await getApp(store.db, req.params.guid));
      return listInstances(store.db, { appGuid: req.params.guid });
    },
  );
  done();
};
