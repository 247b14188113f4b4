import { constants, createHash } from 'node:crypto';
import type { SecureContextOptions, SecureVersion } from 'node:tls';

/** Protocol settings shared by every instance listener of a cell's proxy. */
export interface TlsSettings {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** OpenSSL cipher list; TLS 1.3 suites (TLS_*) may be listed alongside TLS 1.2 ones. */
  ciphers: string;
  ecdhCurve: string;
  /** A client that has not finished its handshake by then is dropped. */
  handshakeTimeoutMs: number;
}

// Forward-secret (ECDHE) AEAD suites only, as in Mozilla's "intermediate" profile.
const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const DEFAULT_TLS_SETTINGS: TlsSettings = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: MODERN_CIPHERS,
  ecdhCurve: 'X25519:P-256:P-384',
  handshakeTimeoutMs: 10_000,
};

export interface Credentials {
  certPem: string;
  keyPem: string;
}

export interface ContextInputs {
  instanceGuid: string;
  credentials: Credentials;
  /** PEM of the CA client certificates must chain to, or null when mTLS is off. */
  clientCaPem: string | null;
  /** Kept for the listener's lifetime so tickets issued before a certificate swap still resume. */
  ticketKeys: Buffer;
}

/** The secure context of one instance listener: its certificate, and the client CA when mTLS is on. */
export function instanceContextOptions(settings: TlsSettings, inputs: ContextInputs): SecureContextOptions {
  return {
    cert: inputs.credentials.certPem,
    key: inputs.credentials.keyPem,
    ca: inputs.clientCaPem ?? undefined,
    minVersion: settings.minVersion,
    maxVersion: settings.maxVersion,
    ciphers: settings.ciphers,
    ecdhCurve: settings.ecdhCurve,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
    ticketKeys: inputs.ticketKeys,
    // OpenSSL only resumes sessions made under the same context id: a session admitted without
    // mTLS, or against another client CA, must never resume into a listener that now requires it.
    sessionIdContext: createHash('sha256')
      .update(`${inputs.instanceGuid}\0${inputs.clientCaPem ?? 'no-mtls'}`)
      .digest('hex')
      .slice(0, 32),
  };
}
