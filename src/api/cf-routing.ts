// What Cloud Foundry's policy server answers on its paths before any handler or token check: a CORS
// preflight, 405 for a method the path does not take, 406 for an API version it does not serve.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Cloud Foundry's external paths under /networking/VERSION/external/, with the methods each takes. */
const CF_PATHS: Record<string, readonly string[]> = {
  policies: ['GET', 'POST'],
  'policies/delete': ['POST'],
  'policies/cleanup': ['POST'],
  tags: ['GET'],
  whoami: ['GET'],
};

const CF_VERSIONS = ['v0', 'v1'];

const CF_PATH = /^\/networking\/([^/]+)\/external\/(.+)$/;

export interface EarlyAnswer {
  status: number;
  headers: Record<string, string>;
  error?: string;
}

/** The answer Cloud Foundry gives before routing to a handler; null when a handler answers. */
export function earlyAnswer(method: string, url: string): EarlyAnswer | null {
  const path = url.split('?')[0] ?? '';
  const match = CF_PATH.exec(path);
  const methods = match?.[2] !== undefined ? CF_PATHS[match[2]] : undefined;
  if (match?.[1] === undefined || methods === undefined) return null;
  const version = match[1];
  if (method === 'OPTIONS') {
    // No origin is allowed (Cloud Foundry's default), so browsers see the methods and nothing more.
    return {
      status: 200,
      headers: {
        'access-control-allow-methods': [...methods, 'OPTIONS'].join(','),
        'access-control-allow-headers': 'authorization',
      },
    };
  }
  const allowed = method === 'HEAD' ? methods.includes('GET') : methods.includes(method);
  if (!allowed) {
    return {
      status: 405,
      headers: { allow: methods.join(', ') },
      error: `Method Not Allowed; ${method} ${path}: this path takes ${methods.join(' and ')}`,
    };
  }
  if (!CF_VERSIONS.includes(version)) {
    return {
      status: 406,
      headers: {},
      error: `api version '${version}' not supported; this server speaks ${CF_VERSIONS.join(' and ')}`,
    };
  }
  return null;
}

/** An onRequest hook that gives the early answers, before the token is looked at. */
export function answerEarly(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const answer = earlyAnswer(req.method, req.url);
  if (answer === null) {
    done();
    return;
  }
  void reply
    .status(answer.status)
    .headers(answer.headers)
    .send(answer.error === undefined ? undefined : { error: answer.error });
}
