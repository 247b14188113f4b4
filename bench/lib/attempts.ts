// Repeated one-shot probes (TCP connect, TLS handshake, HTTP GET) until one gives the wanted outcome: the
// time it took. Used on the host and, through bench/child/netns-probe.ts, inside a container's namespace.
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

export interface Pace {
  /** Start a new attempt this often while fewer than `maxInFlight` are pending (0: right after the last). */
  everyMs: number;
  maxInFlight: number;
  giveUpMs: number;
}

/** Runs `attempt` until one resolves true; ms from the call to that success. Bounded by `giveUpMs`. */
export function until(what: string, attempt: () => Promise<boolean>, pace: Pace): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      if (err) reject(err);
      else resolve(performance.now() - started);
    };
    const launch = (): void => {
      if (done || inFlight >= pace.maxInFlight) return;
      if (performance.now() - started > pace.giveUpMs)
        return finish(new Error(`${what}: not within ${pace.giveUpMs} ms`));
      inFlight++;
      attempt().then(
        (ok) => {
          inFlight--;
          if (ok) finish(null);
          else if (pace.everyMs === 0) launch();
        },
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      );
    };
    // Paced attempts keep probing while earlier ones wait out a dropped SYN.
    const ticker = setInterval(launch, Math.max(pace.everyMs, 1));
    launch();
  });
}

/** Whether a TCP connection is accepted within `timeoutMs`; reset at once so no TIME_WAIT piles up. */
export function tcpOpens(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => (socket.destroy(), resolve(false)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.resetAndDestroy();
      resolve(true);
    });
    socket.once('error', () => (clearTimeout(timer), resolve(false)));
  });
}

export interface TlsTarget {
  host: string;
  port: number;
  servername: string;
  caPem: string;
}

/**
 * One full handshake (no session reuse), verified against the CA for `servername`: 'verified', 'wrong-name'
 * when the chain is good but the certificate does not carry the name, 'failed' for anything else.
 */
export function tlsHandshake(t: TlsTarget, timeoutMs: number): Promise<'verified' | 'wrong-name' | 'failed'> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: t.host, port: t.port, servername: t.servername, ca: t.caPem });
    const timer = setTimeout(() => (socket.destroy(), resolve('failed')), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('verified');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'wrong-name' : 'failed');
    });
  });
}

/** Whether `GET /` over a verified TLS connection answers 200: the proxy and the app behind it both serve. */
export function httpsAnswers(t: TlsTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: t.host, port: t.port, servername: t.servername, ca: t.caPem });
    const timer = setTimeout(() => (socket.destroy(), resolve(false)), timeoutMs);
    const end = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () =>
      socket.write(`GET / HTTP/1.1\r\nHost: ${t.servername}\r\nConnection: close\r\n\r\n`),
    );
    socket.once('data', (chunk: Buffer) => end(chunk.toString('latin1').startsWith('HTTP/1.1 200')));
    socket.once('error', () => end(false));
    socket.once('close', () => end(false));
  });
}

/** Whether `GET http://host:port/` answers 200. */
export function httpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}
