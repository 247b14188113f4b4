// Tokens, the audit log, platform info, health and metrics: all but info and health for admins only.
import { Type } from '@sinclair/typebox';
import type { Api } from '../server.js';
import { actor, EVERYONE, who } from '../auth.js';
import { listEvents } from '../../store/events.js';
import { getSetting } from '../../store/settings.js';
import { createToken, listTokens, revokeToken, ROLES } from '../../store/tokens.js';
import { CellId, Closed, Guid } from '../schemas.js';

export function adminRoutes(api: Api): void {
  const { store, metrics } = api;
  api.app.get('/healthz', { config: { open: true } }, () => ({ ok: true }));

  api.app.get('/v1/info', { config: { allow: EVERYONE } }, async (req) => {
    const id = who(req);
    return {
      name: 'weft',
      overlayCidr: await getSetting(store.db, 'overlay_cidr'),
      unproxiedPortMappings: api.options.unproxiedPortMappings,
      maxPoliciesPerApp: api.options.maxPoliciesPerApp,
      revision: store.hub.revision,
      you: {
        name: id.name,
        role: id.role,
        spaceGuids: id.spaceGuids,
        cellId: id.cellId,
        expiresAt: id.expiresAt,
      },
    };
  });

  api.app.post(
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

  api.app.get('/v1/tokens', async () => {
    return listTokens(store.db);
  });

  api.app.delete(
    '/v1/tokens/:name',
    { schema: { params: Closed({ name: Type.String({ minLength: 1, maxLength: 128 }) }) } },
    async (req, reply) => {
      await store.write(actor(req), (w) => revokeToken(w, req.params.name));
      return reply.status(204).send();
    },
  );

  api.app.get(
    '/v1/events',
    {
      schema: {
        querystring: Closed({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          target: Type.Optional(Type.String({ maxLength: 128 })),
        }),
      },
    },
    async (req) => {
      return listEvents(store.db, { limit: req.query.limit ?? 50, target: req.query.target });
    },
  );

  api.app.get('/metrics', async (_req, reply) => {
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });
}
