// Clients of the control plane trust the platform CA and nothing else: not the system's CAs, and never
// a connection left unverified. Bearer tokens travel only to a server that CA signed.
import { Agent, fetch } from 'undici';

export type PinnedFetch = typeof fetch;

/** With several servers to try, a server that does not accept a connection in time is passed over. */
export function pinnedFetch(caPem: string, opts: { connectTimeoutMs?: number } = {}): PinnedFetch {
  const dispatcher = new Agent({ connect: { ca: caPem, timeout: opts.connectTimeoutMs } });
  return (input, init) => fetch(input, { ...init, dispatcher });
}

/** Refuses an API URL that would send tokens in the clear. */
export function requireHttps(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} ${url}: not a URL; expected e.g. https://127.0.0.1:9080`);
  }
  if (parsed.protocol === 'http:') {
    throw new Error(
      `${what} ${url}: plain http:// would send tokens in the clear; the weft API speaks https:// only`,
    );
  }
  if (parsed.protocol !== 'https:') throw new Error(`${what} ${url}: expected an https:// URL`);
  return parsed;
}

// What Node's TLS calls a server whose certificate chain or name the trusted CA does not vouch for.
export const VERIFICATION_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The verification failure behind a failed fetch, if that is why it failed. */
export function certificateFailure(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  return code !== undefined && VERIFICATION_CODES.has(code) ? code : undefined;
}

/** A failed fetch in words: a server the CA does not vouch for, or the network's own reason. */
export function fetchFailure(err: unknown, url: string): Error {
  const unverified = certificateFailure(err);
  if (unverified !== undefined) {
    return new Error(`${url} presented a certificate the platform CA does not verify (${unverified})`, {
      cause: err,
    });
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new Error(`cannot reach ${url} (${why})`, { cause: err });
}
