// The control plane's HTTPS API: weft's /v1 resources and Cloud Foundry's policy API.
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';
import type { ApiOptions } from './options.js';
import { installAuth } from './auth.js';
import { clientErrorHandler } from './client-errors.js';
import { errorHandler } from './errors.js';
import { rejectNulCharacters } from './nul-check.js';
import { adminRoutes } from './routes/admin.js';
import { certificateRoutes } from './routes/certificates.js';
import type { Ca } from '../ca/index.js';
import type { ServerTls } from './server-certificate.js';
import { appRoutes } from './routes/apps.js';
import { cellRoutes } from './routes/cells.js';
import { domainRoutes } from './routes/domains.js';
import { policyRoutes } from './routes/policies.js';
import { tenancyRoutes } from './routes/tenancy.js';

function createApp(logger: FastifyBaseLogger, bodyLimit: number, tls: ServerTls) {
  return Fastify({
    https: tls,
    loggerInstance: logger,
    bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    // Followers of the change stream never hang up on their own: closing must end their connections.
    forceCloseConnections: true,
    clientErrorHandler: clientErrorHandler(logger),
  }).withTypeProvider<TypeBoxTypeProvider>();
}

export type ApiApp = ReturnType<typeof createApp>;

export interface Api {
  app: ApiApp;
  store: Store;
  options: ApiOptions;
  metrics: Registry;
  ca: Ca;
}

export async function buildApi(
  store: Store,
  ca: Ca,
  tls: ServerTls,
  logger: Logger,
  options: ApiOptions,
): Promise<Api> {
  const app = createApp(logger, options.bodyLimit, tls);
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
  installAuth(app, store);
  const api: Api = { app, store, options, metrics, ca };
  tenancyRoutes(api);
  appRoutes(api);
  domainRoutes(api);
  policyRoutes(api);
  cellRoutes(api);
  adminRoutes(api);
  certificateRoutes(api);
  app.get('/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  return api;
}
