// What this server last issued to each instance, read from the certificate itself, for the console and
// `GET /v1/apps/:guid/certificates`. Kept in memory and bounded: a server restart forgets it until the
// cells renew, and a server of a shared database knows only what it issued.
import { X509Certificate } from 'node:crypto';
import type { IssuedCertificateInfo } from '../contract/certificates.js';

type Kind = IssuedCertificateInfo['kind'];
type Entry = Omit<IssuedCertificateInfo, 'index'>;

export class CertificateLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  record(instanceGuid: string, kind: Kind, pem: string): void {
    const cert = new X509Certificate(pem);
    const key = `${instanceGuid}/${kind}`;
    // Re-inserting moves the entry to the end, so the oldest-issued one is the first to go.
    this.entries.delete(key);
    this.entries.set(key, {
      instanceGuid,
      kind,
      names: sanEntries(cert.subjectAltName),
      serial: cert.serialNumber,
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: new Date(cert.validTo).toISOString(),
    });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  of(instanceGuid: string): Entry[] {
    return (['c2c', 'identity'] as const).flatMap((kind) => {
      const entry = this.entries.get(`${instanceGuid}/${kind}`);
      return entry === undefined ? [] : [entry];
    });
  }
}

/** Node's subjectAltName reads "DNS:a, DNS:b, URI:…"; the names weft issues never hold ", ". */
export function sanEntries(subjectAltName: string | undefined): string[] {
  return subjectAltName === undefined || subjectAltName === '' ? [] : subjectAltName.split(', ');
}
