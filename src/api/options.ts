// Tunables of the control plane's API, with Cloud Foundry's defaults.
import { DEFAULT_MAX_PACKAGE_BYTES } from '../package/limits.js';

export interface ApiOptions {
  maxPoliciesPerApp: number;
  unproxiedPortMappings: boolean;
  bodyLimit: number;
  /** The largest app package an upload may carry, compressed. */
  maxPackageBytes: number;
  certificateValidityHours: number;
  connections: ConnectionLimits;
}

/** What a client may hold of the server before it is cut off; nginx's defaults where it has one. */
export interface ConnectionLimits {
  /** Request line and headers must arrive within this (nginx: client_header_timeout 60s). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (nginx: keepalive_timeout 75s). */
  keepAliveTimeoutMs: number;
  /** A connection that neither sends nor reads is closed after this (nginx: send_timeout 60s). */
  idleTimeoutMs: number;
  /** Connections over this are closed as they arrive, before a byte is read. */
  maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 75_000,
  idleTimeoutMs: 60_000,
  maxConnections: 4096,
};

export const DEFAULT_API_OPTIONS: ApiOptions = {
  maxPoliciesPerApp: 150,
  unproxiedPortMappings: true,
  bodyLimit: 1024 * 1024,
  maxPackageBytes: DEFAULT_MAX_PACKAGE_BYTES,
  certificateValidityHours: 24,
  connections: DEFAULT_CONNECTION_LIMITS,
};
