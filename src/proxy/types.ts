import type { Credentials } from './tls-settings.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface MtlsPolicy {
  /** CA that callers' client certificates must chain to. */
  caPem: string;
  /** GUIDs of the apps whose instances a policy admits; checked at every connection's handshake. */
  callers: ReadonlySet<string>;
}

export interface InstanceSpec {
  guid: string;
  /** One of the proxy's listeners; port 0 takes any free single-port listener on the host. */
  listen: Endpoint;
  backend: Endpoint;
  credentials: Credentials;
  mtls?: MtlsPolicy;
}

export interface InstanceCounters {
  /** Connections admitted past the per-source and proxy-wide limits. */
  connectionsAccepted: number;
  /** Handshakes that failed, timed-out ones included. */
  handshakeFailures: number;
  handshakeTimeouts: number;
  /** Refused before the handshake: their source already held its limit. */
  refusedPerSource: number;
  /** Refused before the handshake: the proxy already held its limit. */
  refusedGlobal: number;
  /** Callers refused by mutual TLS. */
  mtlsRefusals: number;
  /** Closed after moving no byte either way for the idle timeout. */
  idleTimeouts: number;
  connectionsProxied: number;
  backendFailures: number;
  bytesToBackend: number;
  bytesFromBackend: number;
}

export interface InstanceStats {
  guid: string;
  listen: Endpoint;
  activeConnections: number;
  connectionsProxied: number;
  backendFailures: number;
  bytesToBackend: number;
  bytesFromBackend: number;
  mtls: boolean;
  /** When the certificate now served expires, in milliseconds since the epoch. */
  certNotAfterMs: number;
}

export function zeroCounters(): InstanceCounters {
  return {
    connectionsAccepted: 0,
    handshakeFailures: 0,
    handshakeTimeouts: 0,
    refusedPerSource: 0,
    refusedGlobal: 0,
    mtlsRefusals: 0,
    idleTimeouts: 0,
    connectionsProxied: 0,
    backendFailures: 0,
    bytesToBackend: 0,
    bytesFromBackend: 0,
  };
}
