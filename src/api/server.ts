// The control plane's HTTPS API: weft's /v1 resources and Cloud Foundry's policy API.
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';
import type { ApiOptions, ConnectionLimits } from './options.js';
import { DEVELOPERS, installAuth } from './auth.js';
import { answerEarly } from './cf-routing.js';
import { clientErrorHandler, dropRequestsOfRefusedClients } from './client-errors.js';
import { errorHandler } from './errors.js';
import { rejectNulCharacters } from './nul-check.js';
import { platformEndpoints } from './endpoints/platform.js';
import { tokenEndpoints } from './endpoints/tokens.js';
import { certificateEndpoints } from './endpoints/certificates.js';
import type { Ca } from '../ca/index.js';
import { appEndpoints } from './endpoints/apps.js';
import { packageEndpoints } from './endpoints/packages.js';
import { cellEndpoints } from './endpoints/cells.js';
import { domainEndpoints } from './endpoints/domains.js';
import { internalRouteEndpoints } from './endpoints/internal-routes.js';
import { policyEndpoints } from './endpoints/policies.js';
import { flowEndpoints } from './endpoints/flows.js';
import { explainEndpoints } from './endpoints/explain.js';
import { registerControlPlaneMetrics } from './metrics.js';
import { CellQuestions } from './cell-questions.js';
import { SessionBroker } from './sessions.js';
import { tellCell } from './session-orders.js';
import { sessionEndpoints } from './endpoints/sessions.js';
import { routeUpgrades } from './upgrade.js';
import { tenancyEndpoints } from './endpoints/tenancy.js';
import { spaceEndpoints } from './endpoints/spaces.js';
import type { ServerTls } from './server-certificate.js';
import { appCertificateEndpoints } from './endpoints/app-certificates.js';
import { consoleRoutes } from '../console/routes.js';

function createApp(logger: FastifyBaseLogger, bodyLimit: number, limits: ConnectionLimits, tls: ServerTls) {
  return Fastify({
    https: {
      ...tls,
      headersTimeout: limits.headersTimeoutMs,
      // Node checks the header and request deadlines on this beat (30 s by default): keep it well
      // inside the deadlines, so a client is cut off close to its deadline, not up to 30 s later.
      connectionsCheckingInterval: Math.max(100, Math.min(limits.headersTimeoutMs, 4000) / 4),
    },
    loggerInstance: logger,
    bodyLimit,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    logController: new LogController({ disableRequestLogging: true }),
    // Followers of the change stream never hang up on their own: closing must end their connections.
    forceCloseConnections: true,
    clientErrorHandler: clientErrorHandler(logger),
    // Closed schemas refuse what they do not list; fastify's default would drop it without a word.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
}

export type ApiApp = ReturnType<typeof createApp>;

/** Cloud Foundry's policy server sends these on every answer; weft's API does too. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'deny',
  'content-security-policy': "frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000',
};

export interface Api {
  app: ApiApp;
  store: Store;
  options: ApiOptions;
  metrics: Registry;
  ca: Ca;
  /** Questions and session orders for the cells whose streams are open here. */
  questions: CellQuestions;
}

export async function buildApi(
  store: Store,
  ca: Ca,
  tls: ServerTls,
  logger: Logger,
  options: ApiOptions,
  moreMetrics: (() => Promise<string>) | null = null,
): Promise<Api> {
  const app = createApp(logger, options.bodyLimit, options.connections, tls);
  app.server.maxConnections = options.connections.maxConnections;
  app.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    done();
  });
  // Before the token check: Cloud Foundry answers a preflight, a wrong method or version without one.
  app.addHook('onRequest', answerEarly);
  app.addHook('preHandler', dropRequestsOfRefusedClients);
  // Clients of Cloud Foundry's API (curl -d, scripts) often omit the JSON content type; accept it anyway.
  // text/plain too: fetch() labels a string body so, and it would otherwise reach handlers as a string.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    void app.getDefaultJsonParser('error', 'error')(_req, body.toString(), done);
  });
  app.setErrorHandler(errorHandler);
  app.addHook('preValidation', rejectNulCharacters);
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: `no such endpoint: ${req.method} ${req.url}` }),
  );
  await app.register(swagger, {
    openapi: {
      info: { title: 'weft control plane', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  registerControlPlaneMetrics(metrics, store);
  installAuth(app, store);
  const questions = new CellQuestions();
  const sessions = new SessionBroker(store, tellCell(store, questions));
  const deps = { store, options, metrics, moreMetrics, ca, questions, sessions };
  await app.register(tenancyEndpoints, deps);
  await app.register(spaceEndpoints, deps);
  await app.register(appEndpoints, deps);
  await app.register(packageEndpoints, deps);
  await app.register(domainEndpoints, deps);
  await app.register(internalRouteEndpoints, deps);
  await app.register(policyEndpoints, deps);
  await app.register(cellEndpoints, deps);
  await app.register(flowEndpoints, deps);
  await app.register(explainEndpoints, deps);
  await app.register(sessionEndpoints, deps);
  routeUpgrades(app.server, (req, res) => app.routing(req, res));
  app.addHook('onClose', (_app, done) => {
    sessions.closeAll();
    done();
  });
  await app.register(platformEndpoints, deps);
  await app.register(tokenEndpoints, deps);
  await app.register(certificateEndpoints, deps);
  await app.register(appCertificateEndpoints, deps);
  consoleRoutes(app);
  app.get('/v1/openapi.json', { config: { allow: DEVELOPERS }, schema: { hide: true } }, () => app.swagger());
  return { app, store, options, metrics, ca, questions };
}
