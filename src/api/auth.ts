// Bearer-token authentication and what each role may do. Every route names the roles it admits
// (`config.allow`); a route that names none admits only admins, so a new endpoint starts closed.
// Inside an admitted role, scope checks answer 404 for what the caller may not see, exactly as for
// what does not exist, so no answer tells a tenant whether another tenant's GUID is real.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from '../model/errors.js';
import type { App } from '../model/types.js';
import type { Store } from '../store/store.js';
import { identify, type Identity, type Role } from '../store/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
  interface FastifyContextConfig {
    /** The roles this route admits; absent means admins only. */
    allow?: readonly Role[];
    /** Served without a token. */
    open?: boolean;
    /** A route of Cloud Foundry's policy API: its refusals begin with Cloud Foundry's words. */
    cf?: { unreadableBody?: string };
  }
}

export const ADMINS: readonly Role[] = ['admin'];
export const DEVELOPERS: readonly Role[] = ['admin', 'space_developer'];
export const CELLS: readonly Role[] = ['admin', 'cell'];
export const EVERYONE: readonly Role[] = ['admin', 'space_developer', 'cell'];

export function installAuth(app: FastifyInstance, store: Store): void {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.open === true) return;
    const cf = req.routeOptions.config.cf !== undefined;
    const header = req.headers.authorization;
    if (header === undefined) {
      throw unauthorized(
        `${cf ? 'missing authorization header; ' : ''}authentication required: send "Authorization: Bearer TOKEN"`,
      );
    }
    const token = /^bearer\s+(\S+)$/i.exec(header)?.[1];
    const identity = token !== undefined ? await identify(store.db, token) : null;
    if (!identity)
      throw unauthorized(`${cf ? 'failed to verify token with uaa; ' : ''}the token is not valid`);
    req.identity = identity;
    if (req.is404) return;
    const allow = req.routeOptions.config.allow ?? ADMINS;
    if (!allow.includes(identity.role)) {
      const scopes = cf ? `${cfScopesRefusal(identity.role, allow)}; ` : '';
      throw forbidden(`${scopes}this needs the ${allow.join(' or ')} role; the token is ${identity.role}`);
    }
  });
}

/** Cloud Foundry's UAA scope for each role: network.admin for admins, network.write for developers. */
const CF_SCOPES: Record<Role, string[]> = {
  admin: ['network.admin'],
  space_developer: ['network.write'],
  cell: [],
};

function cfScopesRefusal(role: Role, allow: readonly Role[]): string {
  const allowed = allow.flatMap((r) => CF_SCOPES[r]);
  return `provided scopes [${CF_SCOPES[role].join(' ')}] do not include allowed scopes [${allowed.join(' ')}]`;
}

export function who(req: FastifyRequest): Identity {
  if (!req.identity) throw unauthorized('authentication required');
  return req.identity;
}

export function actor(req: FastifyRequest): string {
  const id = who(req);
  return `${id.role}:${id.name}`;
}

/** Spaces the caller may see and change: every space for admins, their own for developers. */
export function spaceScope(req: FastifyRequest): string[] | undefined {
  const id = who(req);
  return id.role === 'space_developer' ? id.spaceGuids : undefined;
}

export function inScope(req: FastifyRequest, spaceGuid: string | null): boolean {
  const scope = spaceScope(req);
  return scope === undefined || (spaceGuid !== null && scope.includes(spaceGuid));
}

export function requireSpace(req: FastifyRequest, spaceGuid: string): void {
  if (!inScope(req, spaceGuid)) throw notFound(`space ${spaceGuid} not found`);
}

/** Answers for an app outside the caller's spaces as for one that does not exist. */
export function requireApp(req: FastifyRequest, app: App): App {
  if (!inScope(req, app.spaceGuid)) throw notFound(`app ${app.guid} not found`);
  return app;
}

/** A cell token speaks only for its own cell; admins may act for any. */
export function requireCell(req: FastifyRequest, cellId: string): void {
  const id = who(req);
  if (id.role === 'cell' && id.cellId !== cellId) {
    throw forbidden(`this token speaks for cell ${id.cellId ?? '?'}, not ${cellId}`);
  }
}
