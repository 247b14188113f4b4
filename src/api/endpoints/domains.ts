// /v1/domains: shared domains, which every developer may read and only admins create or delete.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS } from '../auth.js';
import { createDomain, deleteDomain, listDomains } from '../../store/routes.js';
import { Closed, Domain, GuidParams } from '../../contract/api.js';

export const domainEndpoints: Endpoints = (app, { store }, done) => {
  app.get(
    '/v1/domains',
    { config: { allow: DEVELOPERS }, schema: { response: { 200: Type.Array(Domain) } } },
    () => listDomains(store.db),
  );

  app.post(
    '/v1/domains',
    {
      schema: {
        body: Closed({ name: Type.String({ minLength: 1, maxLength: 253 }), internal: Type.Boolean() }),
        response: { 201: Domain },
      },
    },
    async (req, reply) => {
      const domain = await store.write(actor(req), (w) => createDomain(w, req.body.name, req.body.internal));
      return reply.status(201).send(domain);
    },
  );

  app.delete('/v1/domains/:guid', { schema: { params: GuidParams } }, async (req, reply) => {
    await store.write(actor(req), (w) => deleteDomain(w, req.params.guid));
    return reply.status(204).send();
  });
  done();
};
