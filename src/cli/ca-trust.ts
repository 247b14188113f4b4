// Which CA the CLI trusts for an API, decided once per endpoint as ssh decides a host key: a CA file
// given, a fingerprint checked, the local home's CA on the API's own host, or a person who says yes.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import net from 'node:net';
import tls from 'node:tls';
import { CA_CERT_FILE, weftHome } from '../home/paths.js';
import type { CliConfig } from './config.js';
import { say } from './output.js';

export interface TrustFlags {
  caCert?: string;
  caFingerprint?: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/** The CA to pin for `apis` (an https:// URL, or several as URL1,URL2: the first is asked). */
export async function chooseCa(apis: string, flags: TrustFlags, config: CliConfig): Promise<string> {
  const api = apis.split(',')[0] ?? apis;
  if (flags.caCert !== undefined) return readCaFile(flags.caCert, '--ca-cert');
  if (flags.caFingerprint !== undefined) {
    const served = await servedCa(api);
    const given = normalizeFingerprint(flags.caFingerprint);
    if (normalizeFingerprint(fingerprint(served)) !== given) {
      throw new Error(
        `the API's CA has SHA-256 fingerprint ${fingerprint(served)}, not the ${flags.caFingerprint} given; not trusting it`,
      );
    }
    return served;
  }
  if (config.api === apis && config.caCert !== undefined) return config.caCert;
  const local = localCa(api);
  if (local !== null) return local;
  if (process.stdin.isTTY !== true) {
    throw new Error(
      `the API's CA is not trusted yet: pass --ca-cert FILE (the control plane's WEFT_HOME/${CA_CERT_FILE}) ` +
        `or --ca-fingerprint SHA256 (openssl x509 -noout -fingerprint -sha256 -in ca.crt)`,
    );
  }
  return askToTrust(await servedCa(api));
}

/** SHA-256 of the certificate, as openssl x509 -fingerprint -sha256 prints it. */
export function fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

function normalizeFingerprint(text: string): string {
  return text
    .replace(/^sha-?256[:=]/i, '')
    .replace(/[:\s]/g, '')
    .toUpperCase();
}

export function readCaFile(file: string, flag: string): string {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${file}: ${(err as Error).message}`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new Error(`${flag} ${file}: not a PEM certificate`);
  }
  if (!cert.ca) throw new Error(`${flag} ${file}: not a CA certificate`);
  return pem;
}

/** On the API's own host the CA sits in WEFT_HOME, as the admin token does. */
function localCa(api: string): string | null {
  if (!isLoopback(new URL(api).hostname)) return null;
  const file = path.join(weftHome(), CA_CERT_FILE);
  return fs.existsSync(file) ? readCaFile(file, 'the local CA') : null;
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

async function askToTrust(caPem: string): Promise<string> {
  const cert = new X509Certificate(caPem);
  say(`The API's certificate is signed by ${cert.subject.replace(/\n/g, ', ')}`);
  say(`SHA-256 fingerprint: ${cert.fingerprint256}`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('Compare it with the control plane host; trust this CA? [yN]: ');
    if (!/^y(es)?$/i.test(answer.trim())) throw new Error("the API's CA was not trusted");
  } finally {
    rl.close();
  }
  return caPem;
}

/**
 * The last certificate of the chain the server sends: its CA. Read without verifying, only to show or
 * compare it; nothing is sent on this connection.
 */
function servedCa(api: string): Promise<string> {
  const url = new URL(api);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      servername: net.isIP(host) === 0 ? host : undefined,
      rejectUnauthorized: false,
    });
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(new Error('no TLS handshake in time')));
    socket.once('secureConnect', () => {
      let cert = socket.getPeerCertificate(true);
      while (cert.issuerCertificate !== undefined && cert.issuerCertificate !== cert) {
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      resolve(new X509Certificate(cert.raw).toString());
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot read the API's certificate at ${api} (${err.code ?? err.message})`)),
    );
  });
}
