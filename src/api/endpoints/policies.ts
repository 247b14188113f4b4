// Cloud Foundry's policy-server external API, v1 and v0: same paths, same JSON, same rules for each
// role, so its clients and scripts work unchanged. docs/compatibility.md lists each difference.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyRequest } from 'fastify';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, spaceScope, who } from '../auth.js';
import { largeBodiesThrough, Gate } from '../body-gate.js';
import { forbidden, invalid, QuotaExceeded, WeftError } from '../../model/errors.js';
import type { Policy } from '../../model/types.js';
import { listApps } from '../../store/apps.js';
import {
  CANNOT_ACCESS,
  createPolicies,
  deletePolicies,
  deleteStalePolicies,
  listPolicies,
  listPolicyTags,
  type CreateRules,
} from '../../store/policies.js';
import {
  MAX_POLICY_BODY_BYTES,
  PolicyBatch,
  PolicyBatchV0,
  PolicyList,
  PolicyListV0,
  Tags,
  WhoAmI,
} from '../../contract/policies.js';
import { batchProblem, nonIntegerNumber, UNMARSHAL } from '../../policy/cf-body.js';
import { fromWire, fromWireV0, toWire, toWireV0 } from '../../policy/wire.js';
import { Closed } from '../../contract/api.js';

const V1 = '/networking/v1/external';
const V0 = '/networking/v0/external';
const IdList = Type.Optional(Type.String({ maxLength: 65536 }));
const ListQuery = Closed({ id: IdList, source_id: IdList, dest_id: IdList });

/** Two large bodies at a time, whatever the number of clients. */
const LARGE_BODIES_AT_ONCE = 2;

export const policyEndpoints: Endpoints = (app, { store, options }, done) => {
  const gate = new Gate(LARGE_BODIES_AT_ONCE);

  // Every content type is read as JSON, as Cloud Foundry does (curl -d sends a form type). A number
  // with a fraction or an exponent is refused like Go's decoder refuses it, though JSON.parse takes
  // 8080.0 for 8080. The parse itself refuses __proto__ and constructor keys, as everywhere.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, parsed) => {
    const text = body.toString();
    // A route that reads no body (the cleanup) takes an empty one, whatever its content type says.
    if (text === '' && req.routeOptions.schema?.body === undefined) return parsed(null, undefined);
    void app.getDefaultJsonParser('error', 'error')(req, text, (err, value) => {
      if (err) return parsed(err, undefined);
      const fraction = nonIntegerNumber(text);
      if (fraction !== null) {
        return parsed(
          invalid(
            `${UNMARSHAL}; body: ${fraction} is not an integer, and every number in a policy is a port`,
          ),
          undefined,
        );
      }
      parsed(null, value);
    });
  });

  /** A write route: a body up to Cloud Foundry's size, checked without coercion, in its words. */
  function writeRoute(schema: TSchema, unreadableBody: string) {
    const check = TypeCompiler.Compile(schema);
    return {
      config: { allow: DEVELOPERS, cf: { unreadableBody } },
      bodyLimit: MAX_POLICY_BODY_BYTES,
      preParsing: largeBodiesThrough(gate),
      validatorCompiler: () => (data: unknown) => {
        const first = check.Check(data) ? undefined : check.Errors(data).First();
        return first === undefined ? { value: data } : { error: invalid(batchProblem(data, first)) };
      },
    };
  }

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

  async function visible(req: FastifyRequest, query: Static<typeof ListQuery>): Promise<Policy[]> {
    const split = (s: string | undefined) =>
      s === undefined ? undefined : s.split(',').filter((x) => x !== '');
    const all = await listPolicies(store.db, {
      ids: split(query.id),
      sourceIds: split(query.source_id),
      destIds: split(query.dest_id),
    });
    return all.filter(await inScope(req));
  }

  async function checkScope(req: FastifyRequest, policies: Policy[]): Promise<void> {
    if (!policies.every(await inScope(req))) {
      throw forbidden(`${CANNOT_ACCESS}; you may only write policies between apps in spaces you develop in`);
    }
  }

  /**
   * Cloud Foundry's rules per role: a space developer's policies name apps that exist and stay within
   * the per-source limit; an admin may name GUIDs of no app (they allow nothing until cleaned up) and
   * has no per-source limit. The space quota (src/guards/quota.ts) holds for both.
   */
  async function create(req: FastifyRequest, policies: Policy[]): Promise<object> {
    await checkScope(req, policies);
    const developer = spaceScope(req) !== undefined;
    const rules: CreateRules = developer
      ? { perSourceLimit: options.maxPoliciesPerApp, knownAppsOnly: true }
      : { perSourceLimit: null, knownAppsOnly: false };
    try {
      await store.write(actor(req), (w) => createPolicies(w, policies, rules));
    } catch (err) {
      // Cloud Foundry's clients know one refusal for a policy over a limit.
      if (err instanceof QuotaExceeded) throw forbidden(`policy quota exceeded; ${err.message}`);
      throw err;
    }
    return {};
  }

  async function remove(req: FastifyRequest, policies: Policy[]): Promise<object> {
    await checkScope(req, policies);
    await store.write(actor(req), (w) => deletePolicies(w, policies));
    return {};
  }

  const wire = { unproxiedPorts: options.unproxiedPortMappings };
  const listing = { config: { allow: DEVELOPERS, cf: {} }, schema: { querystring: ListQuery } };

  app.get(
    `${V1}/policies`,
    { ...listing, schema: { ...listing.schema, response: { 200: PolicyList } } },
    async (req) => {
      const policies = (await visible(req, req.query)).map(toWire);
      return { total_policies: policies.length, policies };
    },
  );
  app.get(
    `${V0}/policies`,
    { ...listing, schema: { ...listing.schema, response: { 200: PolicyListV0 } } },
    async (req) => {
      const policies = toWireV0(await visible(req, req.query));
      return { total_policies: policies.length, policies };
    },
  );

  app.post(
    `${V1}/policies`,
    { ...writeRoute(PolicyBatch, 'failed reading request body'), schema: { body: PolicyBatch } },
    (req) => create(req, fromWire(req.body, wire)),
  );
  app.post(
    `${V0}/policies`,
    { ...writeRoute(PolicyBatchV0, 'failed reading request body'), schema: { body: PolicyBatchV0 } },
    (req) => create(req, fromWireV0(req.body, wire)),
  );
  app.post(
    `${V1}/policies/delete`,
    { ...writeRoute(PolicyBatch, 'invalid request body'), schema: { body: PolicyBatch } },
    (req) => remove(req, fromWire(req.body, wire)),
  );
  app.post(
    `${V0}/policies/delete`,
    { ...writeRoute(PolicyBatchV0, 'invalid request body'), schema: { body: PolicyBatchV0 } },
    (req) => remove(req, fromWireV0(req.body, wire)),
  );

  for (const base of [V1, V0]) {
    // Both versions answer in v1's shape, as Cloud Foundry's do.
    app.post(
      `${base}/policies/cleanup`,
      { config: { cf: {} }, schema: { response: { 200: PolicyList } } },
      async (req) => {
        const removed = (await store.write(actor(req), deleteStalePolicies)).map(toWire);
        return { total_policies: removed.length, policies: removed };
      },
    );
    app.get(`${base}/tags`, { config: { cf: {} }, schema: { response: { 200: Tags } } }, async () => {
      const tags = await listPolicyTags(store.db);
      return { tags: tags.map((t) => ({ id: t.guid, tag: cfTag(t.tag), type: 'app' })) };
    });
    app.get(`${base}/whoami`, { config: { cf: {} }, schema: { response: { 200: WhoAmI } } }, (req) => ({
      subject: who(req).name,
    }));
  }

  // Cloud Foundry's uptime and health answers, for its monitors; no token, as there.
  const started = Date.now();
  for (const path of ['/', '/networking']) {
    app.get(path, { config: { open: true }, schema: { hide: true } }, (_req, reply) =>
      reply.type('text/plain').send(`Network policy server, up for ${goDuration(Date.now() - started)}\n`),
    );
  }
  app.get('/health', { config: { open: true }, schema: { hide: true } }, async (req, reply) => {
    try {
      await store.ping();
    } catch (err) {
      req.log.error({ err }, 'health: the database does not answer');
      throw new WeftError(500, 'check database failed');
    }
    return reply.send();
  });
  done();
};

/** Go's way of writing a duration, as Cloud Foundry's uptime answer has it: "1h2m3.5s". */
function goDuration(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = (ms % 60_000) / 1000;
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}s`;
}

/** Cloud Foundry's tag text: two bytes as upper-case hex. */
function cfTag(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(4, '0');
}
