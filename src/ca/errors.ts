/** A certificate request the CA refuses to sign: bad CSR, wrong key type or invalid names. */
export class CertificateRequestError extends Error {
  override name = 'CertificateRequestError';
}
