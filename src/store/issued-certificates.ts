// What the CA last issued to each instance, read from the certificate itself: for the console and
// `GET /v1/apps/:guid/certificates`. In the database, so every server sharing it shows the same, and a
// server restart forgets nothing; the rows go with their instance (foreign key, on delete cascade).
import { X509Certificate } from 'node:crypto';
import type { IssuedCertificateInfo } from '../contract/certificates.js';
import type { Db } from './writer.js';

type Kind = IssuedCertificateInfo['kind'];
export type IssuedEntry = Omit<IssuedCertificateInfo, 'index'>;

/** The names, serial and validity a certificate carries. */
export function describeIssued(instanceGuid: string, kind: Kind, pem: string): IssuedEntry {
  const cert = new X509Certificate(pem);
  return {
    instanceGuid,
    kind,
    names: sanEntries(cert.subjectAltName),
    serial: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** Node's subjectAltName reads "DNS:a, DNS:b, URI:…"; the names weft issues never hold ", ". */
export function sanEntries(subjectAltName: string | undefined): string[] {
  return subjectAltName === undefined || subjectAltName === '' ? [] : subjectAltName.split(', ');
}

/** Keeps the latest certificate of its kind for the instance; one the instance outlived is not kept. */
export async function recordIssued(db: Db, entry: IssuedEntry): Promise<void> {
  const row = {
    names: JSON.stringify(entry.names),
    serial: entry.serial,
    not_before: entry.notBefore,
    not_after: entry.notAfter,
  };
  await db
    .insertInto('issued_certificates')
    .columns(['instance_guid', 'kind', 'names', 'serial', 'not_before', 'not_after'])
    // Through a select on instances: an instance deleted meanwhile inserts nothing, where a plain
    // insert would break its foreign key.
    .expression((eb) =>
      eb
        .selectFrom('instances')
        .select((s) => [
          s.val(entry.instanceGuid).as('instance_guid'),
          s.val(entry.kind).as('kind'),
          s.val(row.names).as('names'),
          s.val(row.serial).as('serial'),
          s.val(row.not_before).as('not_before'),
          s.val(row.not_after).as('not_after'),
        ])
        .where('guid', '=', entry.instanceGuid),
    )
    .onConflict((oc) => oc.columns(['instance_guid', 'kind']).doUpdateSet(row))
    .execute();
}

export async function issuedTo(db: Db, instanceGuids: string[]): Promise<IssuedEntry[]> {
  if (instanceGuids.length === 0) return [];
  const rows = await db
    .selectFrom('issued_certificates')
    .selectAll()
    .where('instance_guid', 'in', instanceGuids)
    .orderBy('instance_guid')
    .orderBy('kind')
    .execute();
  return rows.map((r) => ({
    instanceGuid: r.instance_guid,
    kind: r.kind === 'identity' ? 'identity' : 'c2c',
    names: JSON.parse(r.names) as string[],
    serial: r.serial,
    notBefore: r.not_before,
    notAfter: r.not_after,
  }));
}
