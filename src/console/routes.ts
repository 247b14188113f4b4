// GET /console/: the read-only web console. Its files carry no data and are served without a token; the
// page asks for one and calls the API with it. A strict policy keeps tenant-chosen names from running
// as script: only the console's own files load, nothing inline, no framing.
import type { FastifyInstance } from 'fastify';
import { BUILT_CONSOLE_DIR, readConsoleFiles } from './files.js';

export const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'deny',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
  'cross-origin-opener-policy': 'same-origin',
};

const NOT_BUILT =
  'the web console is not built on this server: run `npm run build:console`, then restart it\n';

export function consoleRoutes(app: FastifyInstance, dir = BUILT_CONSOLE_DIR): void {
  const files = readConsoleFiles(dir);
  if (files === null) app.log.warn({ dir }, 'the web console is not built; /console/ says so');
  const config = { open: true };
  const schema = { hide: true };

  app.get('/console', { config, schema }, (_req, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', { config, schema }, (req, reply) => {
    void reply.headers(CONSOLE_HEADERS);
    if (files === null) return reply.status(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    const name = req.params['*'] === '' ? 'index.html' : req.params['*'];
    const file = files.get(name);
    if (file === undefined) return reply.status(404).type('text/plain; charset=utf-8').send('not found\n');
    return reply.type(file.type).send(file.body);
  });
}
