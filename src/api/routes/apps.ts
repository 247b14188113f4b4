// /v1/apps and their instances
import { Type } from '@sinclair/typebox';
import type { Api } from '../server.js';
import { actor, requireApps, requireSpace, spaceScope } from '../auth.js';
import {
  createApp,
  deleteApp,
  getApp,
  listApps,
  listInstances,
  restartApp,
  updateApp,
} from '../../store/apps.js';
import { App, AppCreate, AppPatch, Guid, GuidParams, Instance } from '../schemas.js';

export function appRoutes(api: Api): void {
  const { store } = api;
  api.app.get(
    '/v1/apps',
    {
      schema: {
        querystring: Type.Object({ space_guid: Type.Optional(Guid), name: Type.Optional(Type.String()) }),
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

  api.app.post('/v1/apps', { schema: { body: AppCreate, response: { 201: App } } }, async (req, reply) => {
    requireSpace(req, req.body.spaceGuid);
    const b = req.body;
    const app = await store.write(actor(req), (w) =>
      createApp(w, {
        name: b.name,
        spaceGuid: b.spaceGuid,
        command: b.command,
        path: b.path,
        instances: b.instances ?? 1,
        memoryMb: b.memoryMb ?? 256,
        env: b.env ?? {},
        ports: b.ports ?? [8080],
        state: b.state ?? 'STARTED',
      }),
    );
    return reply.status(201).send(app);
  });

  api.app.get('/v1/apps/:guid', { schema: { params: GuidParams, response: { 200: App } } }, async (req) => {
    const app = await getApp(store.db, req.params.guid);
    requireApps(req, [app]);
    return app;
  });

  api.app.patch(
    '/v1/apps/:guid',
    { schema: { params: GuidParams, body: AppPatch, response: { 200: App } } },
    async (req) => {
      requireApps(req, [await getApp(store.db, req.params.guid)]);
      return store.write(actor(req), (w) => updateApp(w, req.params.guid, req.body));
    },
  );

  api.app.post(
    '/v1/apps/:guid/restart',
    { schema: { params: GuidParams, response: { 200: App } } },
    async (req) => {
      requireApps(req, [await getApp(store.db, req.params.guid)]);
      return store.write(actor(req), (w) => restartApp(w, req.params.guid));
    },
  );

  api.app.delete('/v1/apps/:guid', { schema: { params: GuidParams } }, async (req, reply) => {
    requireApps(req, [await getApp(store.db, req.params.guid)]);
    await store.write(actor(req), (w) => deleteApp(w, req.params.guid));
    return reply.status(204).send();
  });

  api.app.get(
    '/v1/apps/:guid/instances',
    { schema: { params: GuidParams, response: { 200: Type.Array(Instance) } } },
    async (req) => {
      requireApps(req, [await getApp(store.db, req.params.guid)]);
      return listInstances(store.db, { appGuid: req.params.guid });
    },
  );
}
