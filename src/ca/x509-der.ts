// Certificates and names as DER, built with @peculiar/asn1-x509's schema and signed with Node's crypto.
// @peculiar/x509's generator did the same through async WebCrypto at ~5 ms a certificate; this costs
// ~0.6 ms and never leaves the event loop, which matters on the path of every start and map-route.
import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ecdsaWithSha256, signSha256 } from './p256.js';

const ATTRIBUTE_TYPES = { CN: '2.5.4.3', OU: '2.5.4.11' } as const;

/** One attribute per RDN, in order, each a UTF8String, as the names weft issues are written. */
export function distinguishedName(attributes: [keyof typeof ATTRIBUTE_TYPES, string][]): Name {
  return new Name(
    attributes.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type: ATTRIBUTE_TYPES[type],
            value: new AttributeValue({ utf8String: value }),
          }),
        ]),
    ),
  );
}

/** An extension whose value is the DER of `value`, an @peculiar/asn1-x509 extension object. */
export function extension(id: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

export interface CertificateFields {
  subject: Name;
  issuer: Name;
  publicKey: SubjectPublicKeyInfo;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

/** A v3 certificate with a random positive 128-bit serial, signed by `signingKey`, as PEM. */
export function signCertificate(fields: CertificateFields, signingKey: KeyObject): string {
  const serial = randomBytes(16);
  // Positive (high bit clear) and minimal (first byte not zero), as DER wants an INTEGER.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: ecdsaWithSha256(),
    issuer: fields.issuer,
    validity: new Validity({ notBefore: fields.notBefore, notAfter: fields.notAfter }),
    subject: fields.subject,
    subjectPublicKeyInfo: fields.publicKey,
    extensions: new Extensions(fields.extensions),
  });
  const certificate = new Certificate({
    tbsCertificate,
    signatureAlgorithm: ecdsaWithSha256(),
    signatureValue: signSha256(AsnConvert.serialize(tbsCertificate), signingKey),
  });
  return toPem('CERTIFICATE', AsnConvert.serialize(certificate));
}

export function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const lines =
    Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER inside the one PEM block labelled `label`, or null when the text holds no such block. */
export function fromPem(label: string, pem: string): Buffer | null {
  const match = new RegExp(
    `^-----BEGIN ${label}-----\\r?\\n([A-Za-z0-9+/=\\r\\n]+)-----END ${label}-----\\s*$`,
  ).exec(pem.trimStart());
  return match?.[1] === undefined ? null : Buffer.from(match[1].replace(/\r?\n/g, ''), 'base64');
}
