// Health, platform info, the audit log and metrics: info for every token, health for anyone, the rest
// for admins only.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { EVERYONE, who } from '../auth.js';
import { listEvents } from '../../store/events.js';
import { getSetting } from '../../store/settings.js';
import { AuditEvent, Closed, Health, Info } from '../../contract/api.js';

export const platformEndpoints: Endpoints = (app, { store, metrics, moreMetrics, options }, done) => {
  app.get('/healthz', { config: { open: true }, schema: { response: { 200: Health } } }, () => ({
    ok: true,
  }));

  app.get('/v1/info', { config: { allow: EVERYONE }, schema: { response: { 200: Info } } }, async (req) => {
    const id = who(req);
    return {
      name: 'weft',
      overlayCidr: await getSetting(store.db, 'overlay_cidr'),
      unproxiedPortMappings: options.unproxiedPortMappings,
      maxPoliciesPerApp: options.maxPoliciesPerApp,
      maxPackageBytes: options.maxPackageBytes,
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

  app.get(
    '/v1/events',
    {
      schema: {
        querystring: Closed({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          target: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: { 200: Type.Array(AuditEvent) },
      },
    },
    async (req) => {
      return listEvents(store.db, { limit: req.query.limit ?? 50, target: req.query.target });
    },
  );

  app.get('/metrics', async (_req, reply) => {
    const more = moreMetrics === null ? '' : await moreMetrics();
    return reply.type(metrics.contentType).send((await metrics.metrics()) + more);
  });
  done();
};
