// An instance's two certificates, apart from its container loop: the identity the app itself presents
// (CF_INSTANCE_CERT, written into its credentials directory) and the 61443 certificate naming the app's
// routes, which the proxy serves. Both are short-lived and renewed together before the 61443 one expires.
import { X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { generateKeyAndCsr } from '../ca/index.js';
import type { CellApiClient } from './api-client.js';
import type { LocalInstance } from './local.js';
import type { CellPaths } from './paths.js';

export interface Credentials {
  certPem: string;
  keyPem: string;
}

export interface IssuedC2c extends Credentials {
  /** The names the certificate carries, as the control plane chose them from the instance's routes. */
  names: string[];
}

const RENEW_BEFORE_EXPIRY_MS = 30 * 60_000;
const RENEWAL_JITTER_MS = 5 * 60_000;
const RENEWAL_RETRY_MS = 60_000;

/** When to renew a certificate valid from notBefore to notAfter: 30 minutes before expiry, or at 2/3 of a short life. */
export function renewalDelay(notBefore: number, notAfter: number, now: number, random: number): number {
  const lifetime = notAfter - notBefore;
  const renewAt = notBefore + Math.max(lifetime - RENEW_BEFORE_EXPIRY_MS, (lifetime * 2) / 3);
  // Jitter, so a cell's instances do not all ask the CA at once.
  const jitter = random * Math.min(RENEWAL_JITTER_MS, lifetime / 10);
  return Math.max(renewAt - jitter - now, 0);
}

export class InstanceCertificates {
  private renewal: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly local: LocalInstance,
    private readonly api: CellApiClient,
    private readonly paths: CellPaths,
    private readonly log: Logger,
    /** Called with both renewed certificates, for the proxy to serve from then on. */
    private readonly onRenewed: (identity: Credentials, c2c: IssuedC2c) => void,
    /** The app's uid on the host (in the container's user namespace, its mapped one), who reads the key. */
    private readonly hostUid: number,
  ) {}

  /** The directory the identity goes to, made now (root's alone until it holds the identity). */
  credentialsDirectory(): string {
    const dir = this.paths.credentialsDir(this.local.guid);
    // In place: on the start's path, a call through the thread pool waits behind whatever a busy cell queued.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Issues the app's identity and writes it where only the app (and root) can read it. */
  async issueIdentity(): Promise<Credentials> {
    const { keyPem, csrPem } = generateKeyAndCsr(this.local.guid);
    const issued = await this.api.certificate(this.local.guid, 'identity', csrPem, this.local.ip);
    const certPem = pemChain(issued.certificate, issued.ca);
    const dir = this.credentialsDirectory();
    // In place, as the directory is made: the start waits for these, and the thread pool may be queued up.
    writeFileSync(`${dir}/instance.crt`, certPem, { mode: 0o444 });
    writeFileSync(`${dir}/instance.key`, keyPem, { mode: 0o400 });
    chownSync(`${dir}/instance.key`, this.hostUid, this.hostUid);
    // The app reads this directory through its bind mount; no other container sees the host's files, and
    // on the host only root and this uid may read it.
    chownSync(dir, this.hostUid, this.hostUid);
    chmodSync(dir, 0o500);
    return { certPem, keyPem };
  }

  /** The identity as written last, for the proxy's listeners of the app's own ports. */
  async identity(): Promise<Credentials> {
    const dir = this.paths.credentialsDir(this.local.guid);
    return {
      certPem: await fs.readFile(`${dir}/instance.crt`, 'utf8'),
      keyPem: await fs.readFile(`${dir}/instance.key`, 'utf8'),
    };
  }

  /** Issues a 61443 certificate for the instance's routes now, and schedules the next renewal from it. */
  async issueC2c(): Promise<IssuedC2c> {
    const { keyPem, csrPem } = generateKeyAndCsr(this.local.guid);
    const issued = await this.api.certificate(this.local.guid, 'c2c', csrPem, this.local.ip);
    this.scheduleRenewal(issued.certificate);
    return { certPem: issued.certificate, keyPem, names: issued.names };
  }

  stop(): void {
    this.stopped = true;
    if (this.renewal) clearTimeout(this.renewal);
  }

  private scheduleRenewal(certPem: string): void {
    const cert = new X509Certificate(certPem);
    const notAfter = Date.parse(cert.validTo);
    this.schedule(renewalDelay(Date.parse(cert.validFrom), notAfter, Date.now(), Math.random()), notAfter);
  }

  private schedule(delayMs: number, notAfter: number): void {
    if (this.renewal) clearTimeout(this.renewal);
    if (this.stopped) return;
    this.renewal = setTimeout(() => void this.renew(notAfter), delayMs);
    this.renewal.unref();
  }

  private async renew(notAfter: number): Promise<void> {
    if (this.stopped) return;
    try {
      const identity = await this.issueIdentity();
      const c2c = await this.issueC2c();
      if (this.stopped) return;
      this.onRenewed(identity, c2c);
      this.log.info('renewed the instance certificates');
    } catch (err) {
      this.log.warn(
        { err: String(err), expires: new Date(notAfter).toISOString() },
        'could not renew the instance certificates; serving the current ones until they expire',
      );
      this.schedule(RENEWAL_RETRY_MS, notAfter);
    }
  }
}

function pemChain(...pems: string[]): string {
  return pems.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}
