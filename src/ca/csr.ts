import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import type { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { CertificateRequestError } from './errors.js';
import {
  ecdsaWithSha256,
  generateP256Keys,
  isEcdsaWithSha256,
  isP256Spki,
  privateKeyPem,
  signSha256,
  spkiOf,
  verifySha256,
} from './p256.js';
import { distinguishedName, fromPem, toPem } from './x509-der.js';

const CSR_LABEL = 'CERTIFICATE REQUEST';

/** Makes a fresh P-256 key and a CSR for it; runs where the key will be used so it never travels. */
export function generateKeyAndCsr(commonName: string): { keyPem: string; csrPem: string } {
  const keys = generateP256Keys();
  const info = new CertificationRequestInfo({
    subject: distinguishedName([['CN', commonName]]),
    subjectPKInfo: spkiOf(keys.publicKey),
  });
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: ecdsaWithSha256(),
    signature: signSha256(AsnConvert.serialize(info), keys.privateKey),
  });
  return { keyPem: privateKeyPem(keys.privateKey), csrPem: toPem(CSR_LABEL, AsnConvert.serialize(csr)) };
}

/** Parses a CSR, checks its self-signature (proof of key possession) and that its key is EC P-256. */
export function verifiedCsrPublicKey(csrPem: string): SubjectPublicKeyInfo {
  const der = fromPem(CSR_LABEL, csrPem);
  let csr: CertificationRequest;
  try {
    if (!der) throw new Error(`no ${CSR_LABEL} PEM block`);
    csr = AsnConvert.parse(der, CertificationRequest);
  } catch (err) {
    throw new CertificateRequestError(`CSR is not a valid PKCS#10 request: ${(err as Error).message}`);
  }
  const { certificationRequestInfo: info, certificationRequestInfoRaw: signed } = csr;
  if (!isP256Spki(info.subjectPKInfo)) {
    throw new CertificateRequestError('CSR key must be an EC P-256 key');
  }
  const signatureValid =
    signed !== undefined &&
    isEcdsaWithSha256(csr.signatureAlgorithm) &&
    verifySha256(signed, info.subjectPKInfo, csr.signature);
  if (!signatureValid) throw new CertificateRequestError('CSR signature does not verify');
  return info.subjectPKInfo;
}
