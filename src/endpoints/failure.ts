// Which failed calls another server of the control plane may take over. A request that never reached
// the server (refused, unreachable, or a server the CA does not vouch for, before any byte was sent)
// may go anywhere; one whose answer was lost may have been applied, so only a call that is safe to
// repeat is sent again.
import { VERIFICATION_CODES } from '../ca/pinned-fetch.js';

const NOT_SENT = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  ...VERIFICATION_CODES,
]);
const ANSWER_LOST = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const REPEATABLE = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** Whether `method` may be tried on another server after failing with `err`. */
export function anotherServerMayTry(err: unknown, method: string): boolean {
  const { code, name } = innermost(err);
  if (code !== undefined && NOT_SENT.has(code)) return true;
  const lost = (code !== undefined && ANSWER_LOST.has(code)) || name === 'TimeoutError';
  return lost && REPEATABLE.has(method.toUpperCase());
}

/** The first code (or error name) along the error's chain of causes. */
function innermost(err: unknown): { code?: string; name?: string } {
  let at: unknown = err;
  for (let depth = 0; depth < 8 && typeof at === 'object' && at !== null; depth++) {
    const { code, name, cause } = at as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string') return { code };
    if (name === 'TimeoutError') return { name };
    at = cause;
  }
  return {};
}
