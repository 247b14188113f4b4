// HAProxy's log lines about connections that did not end normally, read back over UDP on loopback (HAProxy
// logs to syslog sockets; Node has no unix datagram sockets). They carry what the counters cannot: who was
// refused, and why.
import { createSocket, type Socket } from 'node:dgram';

export interface ConnectionEnd {
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

/** The log-format the configuration uses; parseLogLine reads it back. */
export const LOG_FORMAT = 'weft %ft %[var(sess.refusal)] %[ssl_c_s_dn(OU,3)] %[ssl_c_verify] %ts';

export function parseLogLine(line: string): ConnectionEnd | null {
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
    frontend: frontend.replace(/~$/, ''),
    refusal: refusal === '-' ? null : refusal,
    callerOu: ou === '-' ? null : ou,
    verified: verify === '0',
    termination,
  };
}

export class LogReader {
  private readonly socket: Socket = createSocket('udp4');

  constructor(onEnd: (end: ConnectionEnd) => void) {
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
