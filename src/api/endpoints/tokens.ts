// Tokens, for admins only: create one (shown once), list them (never their secrets), revoke one.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor } from '../auth.js';
import { createToken, listTokens, revokeToken } from '../../store/tokens.js';
import { Closed, CreatedToken, TokenCreate, TokenInfo } from '../../contract/api.js';

export const tokenEndpoints: Endpoints = (app, { store }, done) => {
  app.post(
    '/v1/tokens',
    {
      schema: {
        body: TokenCreate,
        response: { 201: CreatedToken },
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

  app.get('/v1/tokens', { schema: { response: { 200: Type.Array(TokenInfo) } } }, async () => {
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
