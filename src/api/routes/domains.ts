// /v1/domains and /v1/routes, with route mappings
import { Type } from '@sinclair/typebox';
import type { Api } from '../server.js';
import { actor, requireApps, requireRole, requireSpace } from '../auth.js';
import { getApp } from '../../store/apps.js';
import {
  createDomain,
  deleteDomain,
  deleteRoute,
  findOrCreateRoute,
  listDomains,
  listRoutes,
  mapRoute,
  unmapRoute,
} from '../../store/routes.js';
import { Domain, Guid, GuidParams, Route } from '../schemas.js';

export function domainRoutes(api: Api): void {
  const { store } = api;
  api.app.get('/v1/domains', { schema: { response: { 200: Type.Array(Domain) } } }, () =>
    listDomains(store.db),
  );

  api.app.post(
    '/v1/domains',
    {
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }), internal: Type.Boolean() }),
        response: { 201: Domain },
      },
    },
    async (req, reply) => {
      requireRole(req, 'admin');
      const domain = await store.write(actor(req), (w) => createDomain(w, req.body.name, req.body.internal));
      return reply.status(201).send(domain);
    },
  );

  api.app.delete('/v1/domains/:guid', { schema: { params: GuidParams } }, async (req, reply) => {
    requireRole(req, 'admin');
    await store.write(actor(req), (w) => deleteDomain(w, req.params.guid));
    return reply.status(204).send();
  });

  api.app.get('/v1/routes', { schema: { response: { 200: Type.Array(Route) } } }, () => listRoutes(store.db));

  api.app.post(
    '/v1/routes',
    {
      schema: {
        body: Type.Object({
          host: Type.String({ minLength: 1, maxLength: 63 }),
          domainGuid: Guid,
          spaceGuid: Type.Optional(Guid),
        }),
        response: { 201: Route },
      },
    },
    async (req, reply) => {
      const { host, domainGuid, spaceGuid } = req.body;
      if (spaceGuid !== undefined) requireSpace(req, spaceGuid);
      const route = await store.write(actor(req), (w) =>
        findOrCreateRoute(w, host, domainGuid, spaceGuid ?? null),
      );
      return reply.status(201).send(route);
    },
  );

  api.app.delete('/v1/routes/:guid', { schema: { params: GuidParams } }, async (req, reply) => {
    requireRole(req, 'admin');
    await store.write(actor(req), (w) => deleteRoute(w, req.params.guid));
    return reply.status(204).send();
  });

  const Mapping = Type.Object({ guid: Guid, appGuid: Guid });
  api.app.put(
    '/v1/routes/:guid/apps/:appGuid',
    { schema: { params: Mapping, response: { 200: Route } } },
    async (req) => {
      requireApps(req, [await getApp(store.db, req.params.appGuid)]);
      return store.write(actor(req), (w) => mapRoute(w, req.params.guid, req.params.appGuid));
    },
  );

  api.app.delete(
    '/v1/routes/:guid/apps/:appGuid',
    { schema: { params: Mapping, response: { 200: Route } } },
    async (req) => {
      requireApps(req, [await getApp(store.db, req.params.appGuid)]);
      return store.write(actor(req), (w) => unmapRoute(w, req.params.guid, req.params.appGuid));
    },
  );
}
