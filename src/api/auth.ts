// Bearer-token authentication and the checks each role is held to.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../model/errors.js';
import type { App } from '../model/types.js';
import type { Store } from '../store/store.js';
import { identify, type Identity, type Role } from '../store/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
}

const OPEN_PATHS = new Set(['/healthz']);

export function installAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (req) => {
    if (OPEN_PATHS.has(req.url.split('?')[0] ?? '')) return;
    const header = req.headers.authorization;
    const match = header !== undefined ? /^bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw unauthorized('authentication required: send "Authorization: Bearer TOKEN"');
    const identity = await identify(store.db, match[1]);
    if (!identity) throw unauthorized('the token is not valid');
    req.identity = identity;
  });
}

export function who(req: FastifyRequest): Identity {
  if (!req.identity) throw unauthorized('authentication required');
  return req.identity;
}

export function actor(req: FastifyRequest): string {
  const id = who(req);
  return `${id.role}:${id.name}`;
}

export function requireRole(req: FastifyRequest, ...roles: Role[]): Identity {
  const id = who(req);
  if (!roles.includes(id.role))
    throw forbidden(`this needs the ${roles.join(' or ')} role; the token is ${id.role}`);
  return id;
}

/** Spaces the caller may see and change: every space for admins and cells, their own for developers. */
export function spaceScope(req: FastifyRequest): string[] | undefined {
  const id = who(req);
  return id.role === 'space_developer' ? id.spaceGuids : undefined;
}

export function requireSpace(req: FastifyRequest, spaceGuid: string): void {
  const scope = spaceScope(req);
  if (scope && !scope.includes(spaceGuid)) throw forbidden('you are not a developer in that space');
}

export function requireApps(req: FastifyRequest, apps: App[]): void {
  const scope = spaceScope(req);
  if (scope && apps.some((a) => !scope.includes(a.spaceGuid))) {
    throw forbidden('you may only change apps in spaces you develop in');
  }
}
