import type { SecureVersion } from 'node:tls';

/** Protocol settings shared by every listener of a cell's proxy. */
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
