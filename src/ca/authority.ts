import { X509Certificate, createPrivateKey } from 'node:crypto';
import { verifiedCsrPublicKey } from './csr.js';
import { CertificateRequestError } from './errors.js';
import { assertDnsName, assertIp, instanceSubject, type InstanceIdentity } from './instance-subject.js';
import {
  P256_SIGNING_ALGORITHM,
  generateP256KeyPair,
  importP256PrivateKey,
  privateKeyToPem,
  x509,
} from './webcrypto.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const DEFAULT_LEAF_VALIDITY_HOURS = 24;
const DEFAULT_CA_VALIDITY_DAYS = 3650;
// Clocks across cells drift; a certificate valid from a minute ago is usable at once everywhere.
const BACKDATE_MS = MINUTE_MS;

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface C2cCertificateRequest extends InstanceIdentity {
  csrPem: string;
  /** Every internal route HOST.DOMAIN and INDEX.HOST.DOMAIN of the instance. */
  dnsNames: string[];
  validityHours?: number;
}

export interface IdentityCertificateRequest extends InstanceIdentity {
  csrPem: string;
  ip: string;
  validityHours?: number;
}

export interface ServerCertificateRequest {
  /** Every name and address clients may use to reach the server. */
  dnsNames: string[];
  ips: string[];
  validityHours: number;
}

/** Creates a self-signed ECDSA P-256 platform CA that may sign leaf certificates only. */
export async function createCa(
  opts: { commonName?: string; validityDays?: number } = {},
): Promise<CaMaterial> {
  const keys = await generateP256KeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [opts.commonName ?? 'weft platform CA'] }],
    keys,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (opts.validityDays ?? DEFAULT_CA_VALIDITY_DAYS) * DAY_MS),
    signingAlgorithm: P256_SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: privateKeyToPem(keys.privateKey) };
}

/** Loads a CA from PEM, refusing a key that does not belong to the certificate or a non-CA certificate. */
export async function loadCa(certPem: string, keyPem: string): Promise<Ca> {
  const nodeCert = new X509Certificate(certPem);
  if (!nodeCert.ca) throw new Error('CA certificate lacks basicConstraints CA:true');
  if (!nodeCert.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error('CA private key does not match the CA certificate');
  }
  return new Ca(new x509.X509Certificate(certPem), await importP256PrivateKey(keyPem));
}

export class Ca {
  readonly certPem: string;

  constructor(
    private readonly cert: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {
    this.certPem = cert.toString('pem');
  }

  /** The certificate served on 61443: names are the app's internal routes plus the instance GUID. */
  async issueC2c(req: C2cCertificateRequest): Promise<string> {
    req.dnsNames.forEach(assertDnsName);
    // DNS matching ignores case; lower-casing lets duplicates collapse.
    const names = [...new Set([...req.dnsNames, req.instanceGuid].map((name) => name.toLowerCase()))];
    return this.issue(
      req,
      names.map((value) => ({ type: 'dns', value })),
      [x509.ExtendedKeyUsage.serverAuth],
    );
  }

  /** The instance identity certificate (CF_INSTANCE_CERT), usable for both ends of a TLS connection. */
  async issueIdentity(req: IdentityCertificateRequest): Promise<string> {
    assertIp(req.ip);
    return this.issue(
      req,
      [
        { type: 'dns', value: req.instanceGuid },
        { type: 'ip', value: req.ip },
      ],
      [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
    );
  }

  /**
   * The control plane's own HTTPS certificate. Its key is made here, in the control plane's memory, and
   * is returned rather than stored: the server holds it only while it runs.
   */
  async issueServer(req: ServerCertificateRequest): Promise<CaMaterial> {
    req.dnsNames.forEach(assertDnsName);
    req.ips.forEach(assertIp);
    const keys = await generateP256KeyPair();
    const altNames: x509.JsonGeneralNames = [
      ...[...new Set(req.dnsNames.map((n) => n.toLowerCase()))].map((value) => ({
        type: 'dns' as const,
        value,
      })),
      ...[...new Set(req.ips)].map((value) => ({ type: 'ip' as const, value })),
    ];
    const certPem = await this.sign(
      {
        subject: [{ CN: ['weft control plane'] }],
        publicKey: keys.publicKey,
        validityHours: req.validityHours,
      },
      altNames,
      [x509.ExtendedKeyUsage.serverAuth],
    );
    return { certPem, keyPem: privateKeyToPem(keys.privateKey) };
  }

  private async issue(
    req: InstanceIdentity & { csrPem: string; validityHours?: number },
    altNames: x509.JsonGeneralNames,
    extendedUsages: x509.ExtendedKeyUsage[],
  ): Promise<string> {
    const subject = instanceSubject(req);
    const publicKey = await verifiedCsrPublicKey(req.csrPem);
    return this.sign({ subject, publicKey, validityHours: req.validityHours }, altNames, extendedUsages);
  }

  private async sign(
    leaf: { subject: x509.JsonName; publicKey: x509.PublicKey | CryptoKey; validityHours?: number },
    altNames: x509.JsonGeneralNames,
    extendedUsages: x509.ExtendedKeyUsage[],
  ): Promise<string> {
    const { subject, publicKey } = leaf;
    const hours = leaf.validityHours ?? DEFAULT_LEAF_VALIDITY_HOURS;
    if (!(hours > 0)) throw new CertificateRequestError(`validityHours must be positive, got ${hours}`);
    const now = Date.now();
    // A leaf that outlives its CA would fail verification after the CA expires; stop it there.
    const notAfter = Math.min(now + hours * HOUR_MS, this.cert.notAfter.getTime());
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: this.cert.subjectName,
      publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: P256_SIGNING_ALGORITHM,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(notAfter),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(extendedUsages),
        new x509.SubjectAlternativeNameExtension(altNames),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await this.authorityKeyIdentifier(),
      ],
    });
    return cert.toString('pem');
  }

  // Point at the CA's own subject key identifier so chain builders match it, whoever made the CA.
  private async authorityKeyIdentifier(): Promise<x509.AuthorityKeyIdentifierExtension> {
    const ski = this.cert.getExtension(x509.SubjectKeyIdentifierExtension);
    return ski
      ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
      : x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey);
  }
}
