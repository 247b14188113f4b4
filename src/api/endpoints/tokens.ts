// Tokens, for admins only: create one (shown once), list them (never their secrets), revoke one.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor } from '../auth.js';
import { createToken, listTokens, revokeToken, ROLES } from '../../store/tokens.js';
import { CellId, Closed, Guid } from '../schemas.js';

export const tokenEndpoints: Endpoints = (app, { store }, done) => {
  app.post(
    '/v1/tokens',
    {
      schema: {
        body: Closed({
          name: Type.String({ minLength: 1, maxLength: 128 }),
          role: Type.Union(ROLES.map((r) => Type.Literal(r))),
          spaceGuids: Type.Optional(Type.Array(Guid, { maxItems: 1000 })),
          cellId: Type.Optional(CellId),
          expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
        }),
      },
    },
    async (req, reply) => {
      const created = await store.write(actor(req), (w) =>
        createToken(w, {
          name: req.body.name,
          role: req.body.role,
          spaceGuids: req.body.spaceGuids ?? [],
          cellId: req.body.cellId ?? null,
          expiresAt: req.body.expiresAt === undefined ? null : new Date(req.body.expiresAt).toISOString(),
        }),
      );
      return reply.status(201).send({ ...created.identity, token: created.token });
    },
  );

  app.get('/v1/tokens', async () => {
    return listTokens(store.db);
  });

  app.delete(
    '/v1/tokens/:name',
    { schema: { params: Closed({ name: Type.String({ minLength: 1, maxLength: 128 }) }) } },
    async (req, reply) => {
      await store.write(actor(req), (w) => revokeToken(w, req.params.name));
      return reply.status(204).send();
    },
  );

  done();
};
