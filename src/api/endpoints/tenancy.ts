// /v1/orgs and /v1/spaces: developers see their own; only admins create or delete them.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, spaceScope } from '../auth.js';
import { createOrg, createSpace, deleteOrg, deleteSpace, listOrgs, listSpaces } from '../../store/tenancy.js';
import { Closed, Guid, GuidParams, Name, Org, Space } from '../../contract/api.js';

export const tenancyEndpoints: Endpoints = (app, { store }, done) => {
  app.get(
    '/v1/orgs',
    { config: { allow: DEVELOPERS }, schema: { response: { 200: Type.Array(Org) } } },
    async (req) => {
      const orgs = await listOrgs(store.db);
      const scope = spaceScope(req);
      if (!scope) return orgs;
      const visible = new Set(
        (await listSpaces(store.db)).filter((s) => scope.includes(s.guid)).map((s) => s.orgGuid),
      );
      return orgs.filter((o) => visible.has(o.guid));
    },
  );

  app.post(
    '/v1/orgs',
    { schema: { body: Closed({ name: Name }), response: { 201: Org } } },
    async (req, reply) => {
      const org = await store.write(actor(req), (w) => createOrg(w, req.body.name));
      return reply.status(201).send(org);
    },
  );

  app.get(
    '/v1/spaces',
    {
      config: { allow: DEVELOPERS },
      schema: {
        querystring: Closed({ org_guid: Type.Optional(Guid) }),
        response: { 200: Type.Array(Space) },
      },
    },
    async (req) => {
      const spaces = await listSpaces(store.db, req.query.org_guid);
      const scope = spaceScope(req);
      return scope ? spaces.filter((s) => scope.includes(s.guid)) : spaces;
    },
  );

  app.post(
    '/v1/spaces',
    { schema: { body: Closed({ name: Name, orgGuid: Guid }), response: { 201: Space } } },
    async (req, reply) => {
      const space = await store.write(actor(req), (w) => createSpace(w, req.body.orgGuid, req.body.name));
      return reply.status(201).send(space);
    },
  );

  app.delete('/v1/orgs/:guid', { schema: { params: GuidParams } }, async (req, reply) => {
    await store.write(actor(req), (w) => deleteOrg(w, req.params.guid));
    return reply.status(204).send();
  });

  app.delete('/v1/spaces/:guid', { schema: { params: GuidParams } }, async (req, reply) => {
    await store.write(actor(req), (w) => deleteSpace(w, req.params.guid));
    return reply.status(204).send();
  });
  done();
};
