import { randomBytes, X509Certificate } from 'node:crypto';
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { createServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { appIdentityFromCert } from '../ca/app-identity.js';
import type { SourceConnections } from '../limits/source-connections.js';
import type { ProxyLimits } from './limits.js';
import { splice } from './splice.js';
import { instanceContextOptions, type Credentials, type TlsSettings } from './tls-settings.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface MtlsPolicy {
  /** CA that callers' client certificates must chain to. */
  caPem: string;
  authorize(callerAppGuid: string): boolean;
}

export interface InstanceSpec {
  guid: string;
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

export interface InstanceStats extends InstanceCounters {
  guid: string;
  listen: Endpoint;
  activeConnections: number;
  mtls: boolean;
  /** When the certificate now served expires, in milliseconds since the epoch. */
  certNotAfterMs: number;
}

// tls.Server reads this field afresh for every accepted connection (Node's tlsConnectionListener),
// which lets mTLS be switched without a new listener.
type ClientCertSwitch = TlsServer & { requestCert: boolean };

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

/** The TLS listener of one instance: terminates TLS and relays plain TCP to the instance's port. */
export class InstanceListener {
  private readonly counters = zeroCounters();
  /** Backend connections still open; their bytes are read from the sockets, not counted chunk by chunk. */
  private readonly backends = new Set<Socket>();
  /** Accepts, and refuses over the limits before TLS sees a byte; hands the rest to `tls`. */
  private readonly server: Server;
  private readonly tls: ClientCertSwitch;
  private readonly ticketKeys = randomBytes(48);
  private readonly sockets = new Set<Socket>();
  private credentials: Credentials;
  private mtls: MtlsPolicy | null;
  private certNotAfterMs = 0;
  private activeConnections = 0;
  private address: Endpoint;
  private listening: Promise<void> | null = null;

  constructor(
    private readonly spec: InstanceSpec,
    private readonly settings: TlsSettings,
    private readonly limits: Pick<ProxyLimits, 'idleTimeoutMs'>,
    private readonly connections: SourceConnections,
    private readonly log: Logger,
  ) {
    this.credentials = spec.credentials;
    this.mtls = spec.mtls ?? null;
    this.address = spec.listen;
    this.tls = createServer({
      // Runs from the TCP accept, so it also ends a client that never sends its ClientHello.
      handshakeTimeout: settings.handshakeTimeoutMs,
      rejectUnauthorized: true,
    }) as ClientCertSwitch;
    this.apply(this.credentials, this.mtls);
    this.tls.on('secureConnection', (socket: TLSSocket) => this.onSecure(socket));
    this.tls.on('tlsClientError', (err: Error, socket: TLSSocket) => this.onHandshakeFailure(err, socket));
    // Request/response traffic: Nagle's delay would sit on every small reply.
    this.server = createTcpServer({ noDelay: true }, (raw) => this.onConnection(raw));
    this.server.on('error', (err) => this.log.error({ instance: spec.guid, err }, 'TLS listener error'));
  }

  async listen(): Promise<Endpoint> {
    this.listening = new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.spec.listen.port, this.spec.listen.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await this.listening;
    const bound = this.server.address() as AddressInfo;
    this.address = { host: bound.address, port: bound.port };
    return this.address;
  }

  /** New handshakes present the new certificate; established connections keep theirs. */
  updateCredentials(credentials: Credentials): void {
    this.apply(credentials, this.mtls);
  }

  setMtls(mtls: MtlsPolicy | null): void {
    this.apply(this.credentials, mtls);
  }

  /** Counters so far, the bytes of open connections included. */
  get totals(): InstanceCounters {
    const totals = { ...this.counters };
    for (const b of this.backends) {
      totals.bytesToBackend += b.bytesWritten;
      totals.bytesFromBackend += b.bytesRead;
    }
    return totals;
  }

  stats(): InstanceStats {
    return {
      guid: this.spec.guid,
      listen: this.address,
      ...this.totals,
      activeConnections: this.activeConnections,
      mtls: this.mtls !== null,
      certNotAfterMs: this.certNotAfterMs,
    };
  }

  /** Stops accepting and ends every connection of this instance, the backend side included. */
  async close(): Promise<void> {
    // An instance removed while its listener is still binding must not end up listening afterwards.
    await this.listening?.catch(() => undefined);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  // Builds the whole context before touching any state, so a bad certificate or key throws and
  // leaves the listener serving what it served before.
  private apply(credentials: Credentials, mtls: MtlsPolicy | null): void {
    const notAfterMs = Date.parse(new X509Certificate(credentials.certPem).validTo);
    this.tls.setSecureContext(
      instanceContextOptions(this.settings, {
        instanceGuid: this.spec.guid,
        credentials,
        clientCaPem: mtls?.caPem ?? null,
        ticketKeys: this.ticketKeys,
      }),
    );
    this.tls.requestCert = mtls !== null;
    this.credentials = credentials;
    this.mtls = mtls;
    this.certNotAfterMs = notAfterMs;
  }

  private onConnection(raw: Socket): void {
    const admission = this.connections.admitSocket(raw);
    if (admission !== 'admitted') {
      if (admission === 'per_source_limit') this.counters.refusedPerSource++;
      else this.counters.refusedGlobal++;
      this.log.debug(
        { instance: this.spec.guid, source: raw.remoteAddress, admission },
        'connection refused',
      );
      return;
    }
    this.counters.connectionsAccepted++;
    this.hold(raw);
    this.tls.emit('connection', raw);
  }

  private hold(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private onHandshakeFailure(err: Error, socket: TLSSocket): void {
    this.counters.handshakeFailures++;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.counters.handshakeTimeouts++;
    if (this.mtls) {
      const callerApp = appIdentityFromCert(socket.getPeerCertificate());
      this.log.warn({ instance: this.spec.guid, code, callerApp }, 'mTLS caller refused in handshake');
    } else {
      this.log.debug({ instance: this.spec.guid, code, err: err.message }, 'TLS handshake failed');
    }
    socket.destroy();
  }

  private onSecure(socket: TLSSocket): void {
    // Half-open only once secure: a client that sends EOF mid-handshake must be dropped at once,
    // not left waiting for the handshake timeout; after it, a half-close is part of the stream.
    socket.allowHalfOpen = true;
    if (!this.admits(socket)) {
      this.counters.mtlsRefusals++;
      socket.destroy();
      return;
    }
    // Bytes either way pass through this socket, so its inactivity timer is the connection's.
    socket.setTimeout(this.limits.idleTimeoutMs, () => {
      this.counters.idleTimeouts++;
      socket.destroy();
    });
    const backend = connect({
      host: this.spec.backend.host,
      port: this.spec.backend.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.hold(backend);
    this.counters.connectionsProxied++;
    this.activeConnections++;
    let connected = false;
    backend.once('connect', () => (connected = true));
    backend.once('error', (err: NodeJS.ErrnoException) => {
      if (!connected) {
        this.counters.backendFailures++;
        this.log.warn({ instance: this.spec.guid, code: err.code }, 'backend connection failed');
      }
    });
    this.backends.add(backend);
    backend.once('close', () => {
      this.activeConnections--;
      this.backends.delete(backend);
      this.counters.bytesToBackend += backend.bytesWritten;
      this.counters.bytesFromBackend += backend.bytesRead;
    });
    splice(socket, backend);
  }

  // The policy in force when the handshake completes decides, so switching mTLS on refuses a
  // client whose handshake began before the switch and sent no certificate.
  private admits(socket: TLSSocket): boolean {
    const mtls = this.mtls;
    if (mtls === null) return true;
    const callerApp = appIdentityFromCert(socket.getPeerCertificate());
    if (!socket.authorized || callerApp === null) {
      this.log.warn(
        { instance: this.spec.guid, callerApp },
        'mTLS caller refused: no valid instance identity',
      );
      return false;
    }
    let allowed = false;
    try {
      allowed = mtls.authorize(callerApp);
    } catch (err) {
      this.log.error({ instance: this.spec.guid, callerApp, err }, 'mTLS authorize() threw; refusing');
    }
    if (!allowed)
      this.log.warn({ instance: this.spec.guid, callerApp }, 'mTLS caller refused: app not authorized');
    return allowed;
  }
}
