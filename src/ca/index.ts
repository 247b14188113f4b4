export { createCa, loadCa, Ca } from './authority.js';
export type {
  CaMaterial,
  C2cCertificateRequest,
  IdentityCertificateRequest,
  ServerCertificateRequest,
} from './authority.js';
export { generateKeyAndCsr } from './csr.js';
export { loadOrCreateCa } from './files.js';
export { appIdentityFromCert } from './app-identity.js';
export { CertificateRequestError } from './errors.js';
export type { InstanceIdentity } from './instance-subject.js';
