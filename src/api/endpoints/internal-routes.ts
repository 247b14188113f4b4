// /v1/routes and their mappings to apps. A route belongs to the space that created it; a developer sees
// and changes only the routes of their spaces, and a route outside them answers as one that does not
// exist.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, inScope, requireApp, requireSpace, spaceScope } from '../auth.js';
import { notFound } from '../../model/errors.js';
import type { Route as RouteRecord } from '../../model/types.js';
import { getApp } from '../../store/apps.js';
import {
  deleteRoute,
  findOrCreateRoute,
  getRoute,
  listRoutes,
  mapRoute,
  unmapRoute,
} from '../../store/routes.js';
import type { Db } from '../../store/writer.js';
import { Closed, Guid, GuidParams, Route } from '../../contract/api.js';

const config = { allow: DEVELOPERS };
const Mapping = Closed({ guid: Guid, appGuid: Guid });

async function visibleRoute(req: FastifyRequest, db: Db, guid: string): Promise<RouteRecord> {
  const route = await getRoute(db, guid);
  if (!inScope(req, route.spaceGuid)) throw notFound(`route ${guid} not found`);
  return route;
}

export const internalRouteEndpoints: Endpoints = (app, { store }, done) => {
  app.get('/v1/routes', { config, schema: { response: { 200: Type.Array(Route) } } }, (req) =>
    listRoutes(store.db, spaceScope(req)),
  );

  app.post(
    '/v1/routes',
    {
      config,
      schema: {
        body: Closed({
          host: Type.String({ minLength: 1, maxLength: 63 }),
          domainGuid: Guid,
          spaceGuid: Guid,
        }),
        response: { 200: Route, 201: Route },
      },
    },
    async (req, reply) => {
      const { host, domainGuid, spaceGuid } = req.body;
      requireSpace(req, spaceGuid);
      const found = await store.write(actor(req), (w) => findOrCreateRoute(w, host, domainGuid, spaceGuid));
      return reply.status(found.created ? 201 : 200).send(found.route);
    },
  );

  app.delete('/v1/routes/:guid', { config, schema: { params: GuidParams } }, async (req, reply) => {
    await visibleRoute(req, store.db, req.params.guid);
    await store.write(actor(req), (w) => deleteRoute(w, req.params.guid));
    return reply.status(204).send();
  });

  app.put(
    '/v1/routes/:guid/apps/:appGuid',
    { config, schema: { params: Mapping, response: { 200: Route } } },
    async (req) => {
      await visibleRoute(req, store.db, req.params.guid);
      requireApp(req, await getApp(store.db, req.params.appGuid));
      return store.write(actor(req), (w) => mapRoute(w, req.params.guid, req.params.appGuid));
    },
  );

  app.delete(
    '/v1/routes/:guid/apps/:appGuid',
    { config, schema: { params: Mapping, response: { 200: Route } } },
    async (req) => {
      await visibleRoute(req, store.db, req.params.guid);
      requireApp(req, await getApp(store.db, req.params.appGuid));
      return store.write(actor(req), (w) => unmapRoute(w, req.params.guid, req.params.appGuid));
    },
  );
  done();
};
