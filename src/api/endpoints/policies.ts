// Cloud Foundry's policy-server external API: same paths, same JSON, so its clients work unchanged.
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, spaceScope } from '../auth.js';
import { forbidden } from '../../model/errors.js';
import type { Policy } from '../../model/types.js';
import { listApps } from '../../store/apps.js';
import { createPolicies, deletePolicies, listPolicies } from '../../store/policies.js';
import { PolicyBatch, PolicyList, Tags } from '../../contract/policies.js';
import { fromWire, toWire } from '../../policy/wire.js';
import type { FastifyRequest } from 'fastify';
import { Closed } from '../../contract/api.js';

const BASE = '/networking/v1/external';
const IdList = Type.Optional(Type.String({ maxLength: 65536 }));
const config = { allow: DEVELOPERS };

export const policyEndpoints: Endpoints = (app, { store, options }, done) => {
  /**
   * A space developer may only touch policies whose both ends are apps of spaces they develop in. An app
   * elsewhere and one that does not exist get the same answer (Cloud Foundry's words), so no GUID of
   * another tenant can be probed.
   */
  async function inScope(req: FastifyRequest): Promise<(p: Policy) => boolean> {
    const scope = spaceScope(req);
    if (!scope) return () => true;
    const mine = new Set((await listApps(store.db, { spaceGuids: scope })).map((a) => a.guid));
    return (p) => mine.has(p.sourceAppGuid) && mine.has(p.destAppGuid);
  }

  app.get(
    `${BASE}/policies`,
    {
      config,
      schema: {
        querystring: Closed({ id: IdList, source_id: IdList, dest_id: IdList }),
        response: { 200: PolicyList },
      },
    },
    async (req) => {
      const split = (s: string | undefined) =>
        s === undefined ? undefined : s.split(',').filter((x) => x !== '');
      const all = await listPolicies(store.db, {
        ids: split(req.query.id),
        sourceIds: split(req.query.source_id),
        destIds: split(req.query.dest_id),
      });
      const visible = all.filter(await inScope(req));
      return { total_policies: visible.length, policies: visible.map(toWire) };
    },
  );

  async function checkedBatch(req: FastifyRequest, body: PolicyBatch): Promise<Policy[]> {
    const policies = fromWire(body, { unproxiedPorts: options.unproxiedPortMappings });
    const allowed = await inScope(req);
    if (!policies.every(allowed)) {
      throw forbidden(
        'one or more applications cannot be found or accessed: you may only write policies between apps in spaces you develop in',
      );
    }
    return policies;
  }

  app.post(`${BASE}/policies`, { config, schema: { body: PolicyBatch } }, async (req) => {
    const policies = await checkedBatch(req, req.body);
    await store.write(actor(req), (w) => createPolicies(w, policies, options.maxPoliciesPerApp));
    return {};
  });

  app.post(`${BASE}/policies/delete`, { config, schema: { body: PolicyBatch } }, async (req) => {
    const policies = await checkedBatch(req, req.body);
    await store.write(actor(req), (w) => deletePolicies(w, policies));
    return {};
  });

  app.get(`${BASE}/tags`, { config, schema: { response: { 200: Tags } } }, async (req) => {
    const apps = await listApps(store.db, { spaceGuids: spaceScope(req) });
    return { tags: apps.map((a) => ({ id: a.guid, tag: a.tag.toString(16).padStart(4, '0'), type: 'app' })) };
  });
  done();
};
