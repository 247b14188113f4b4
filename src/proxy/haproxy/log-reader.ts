// HAProxy's log lines about connections that did not end normally, read back over UDP on loopback (HAProxy
// logs to syslog sockets; Node has no unix datagram sockets). They carry what the counters cannot: who was
// refused, and why.
import { createSocket, type Socket } from 'node:dgram';

/** A connection dropped before its handshake completed. */
export interface HandshakeEnd {
  kind: 'handshake';
  frontend: string;
  /** HAProxy's connection error code (fc_err); see HANDSHAKE_TIMEOUT. */
  error: number;
}

/** fc_err of a handshake the client did not finish within the client timeout. */
export const HANDSHAKE_TIMEOUT = 26;

export interface ConnectionEnd {
  kind: 'connection';
  frontend: string;
  /** `mtls` when mutual TLS refused the caller, else null. */
  refusal: string | null;
  /** The OU naming the caller's app (`app:GUID`), or null without a client certificate. */
  callerOu: string | null;
  /** Whether the client certificate chained to the trusted CA. */
  verified: boolean;
  /** HAProxy's two-letter termination state, e.g. `cD` for a client-side idle timeout. */
  termination: string;
}

/** The log formats the configuration uses; parseLogLine reads them back. */
export const LOG_FORMAT = 'weft %ft %[var(sess.refusal)] %[ssl_c_s_dn(OU,3)] %[ssl_c_verify] %ts';
export const ERROR_LOG_FORMAT = 'weft-handshake %ft %[fc_err]';

export function parseLogLine(line: string): ConnectionEnd | HandshakeEnd | null {
  const handshake = / weft-handshake (\S+) (\d+)\s*$/.exec(line);
  if (handshake) {
    return { kind: 'handshake', frontend: frontendOf(handshake[1] ?? ''), error: Number(handshake[2]) };
  }
  const m = / weft (\S+) (\S+) (\S+) (\S+) (\S+)\s*$/.exec(line);
  if (!m) return null;
  const [, frontend, refusal, ou, verify, termination] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    kind: 'connection',
    frontend: frontendOf(frontend),
    refusal: refusal === '-' ? null : refusal,
    callerOu: ou === '-' ? null : ou,
    verified: verify === '0',
    termination,
  };
}

/** %ft marks a TLS frontend with a trailing `~`. */
function frontendOf(field: string): string {
  return field.replace(/~$/, '');
}

export class LogReader {
  private readonly socket: Socket = createSocket('udp4');

  constructor(onEnd: (end: ConnectionEnd | HandshakeEnd) => void) {
    this.socket.on('message', (msg) => {
      const end = parseLogLine(msg.toString('utf8'));
      if (end) onEnd(end);
    });
  }

  /** Binds to an ephemeral port on loopback and resolves with it. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
