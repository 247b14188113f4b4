import { CertificateRequestError } from './errors.js';
import {
  P256_SIGNING_ALGORITHM,
  generateP256KeyPair,
  isP256PublicKey,
  privateKeyToPem,
  x509,
} from './webcrypto.js';

/** Makes a fresh P-256 key and a CSR for it; runs where the key will be used so it never travels. */
export async function generateKeyAndCsr(commonName: string): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateP256KeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: P256_SIGNING_ALGORITHM,
  });
  return { keyPem: privateKeyToPem(keys.privateKey), csrPem: csr.toString('pem') };
}

/** Parses a CSR, checks its self-signature (proof of key possession) and that its key is EC P-256. */
export async function verifiedCsrPublicKey(csrPem: string): Promise<x509.PublicKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new CertificateRequestError(`CSR is not a valid PKCS#10 request: ${(err as Error).message}`);
  }
  if (!isP256PublicKey(csr.publicKey)) {
    throw new CertificateRequestError('CSR key must be an EC P-256 key');
  }
  const signatureValid = await csr.verify().catch(() => false);
  if (!signatureValid) throw new CertificateRequestError('CSR signature does not verify');
  return csr.publicKey;
}
