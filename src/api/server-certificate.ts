// The API's HTTPS certificate: issued by the platform CA at every start and renewed while the server
// runs; its key lives only in this process.
import os from 'node:os';
import type { Logger } from 'pino';
import type { Ca } from '../ca/index.js';
import { apiCertificateNames } from './certificate-names.js';

const HOUR_MS = 3_600_000;
const VALIDITY_HOURS = 30 * 24;
// Renewed long before expiry, so a server that runs for months never serves an expired certificate.
const RENEW_EVERY_MS = 24 * HOUR_MS;

export interface ServerTls {
  key: string;
  /** The leaf, then the CA: a client's first connect can show the CA it is asked to trust. */
  cert: string;
}

export function issueServerTls(ca: Ca, listenHost: string, apiNames: string[]): ServerTls {
  const names = apiCertificateNames({
    listenHost,
    hostname: os.hostname(),
    interfaces: os.networkInterfaces(),
    apiNames,
  });
  const issued = ca.issueServer({ ...names, validityHours: VALIDITY_HOURS });
  return { key: issued.keyPem, cert: `${issued.certPem.trim()}\n${ca.certPem.trim()}\n` };
}

/** Re-issues the certificate every day; new handshakes get the new one, open connections carry on. */
export function renewServerTls(
  issue: () => ServerTls,
  install: (tls: ServerTls) => void,
  logger: Logger,
): () => void {
  const timer = setInterval(() => {
    try {
      install(issue());
    } catch (err) {
      logger.error({ err }, 'renewing the API certificate failed');
    }
  }, RENEW_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
