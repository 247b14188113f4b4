import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';
import type { Extension, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { verifiedCsrPublicKey } from './csr.js';
import { CertificateRequestError } from './errors.js';
import { assertDnsName, assertIp, instanceSubject, type InstanceIdentity } from './instance-subject.js';
import { generateP256Keys, keyIdentifier, privateKeyPem, spkiOf } from './p256.js';
import { distinguishedName, extension, fromPem, signCertificate } from './x509-der.js';
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
export function createCa(opts: { commonName?: string; validityDays?: number } = {}): CaMaterial {
  const keys = generateP256Keys();
  const name = distinguishedName([['CN', opts.commonName ?? 'weft platform CA']]);
  const publicKey = spkiOf(keys.publicKey);
  const now = Date.now();
  const usage = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature;
  const certPem = signCertificate(
    {
      subject: name,
      issuer: name,
      publicKey,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + (opts.validityDays ?? DEFAULT_CA_VALIDITY_DAYS) * DAY_MS),
      extensions: [
        extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
        extension(id_ce_keyUsage, true, new KeyUsage(usage)),
        extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(publicKey))),
      ],
    },
    keys.privateKey,
  );
  return { certPem, keyPem: privateKeyPem(keys.privateKey) };
}

/** Loads a CA from PEM, refusing a key that does not belong to the certificate or a non-CA certificate. */
export function loadCa(certPem: string, keyPem: string): Ca {
  const nodeCert = new X509Certificate(certPem);
  if (!nodeCert.ca) throw new Error('CA certificate lacks basicConstraints CA:true');
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('private key is not an EC P-256 key');
  }
  if (!nodeCert.checkPrivateKey(key)) throw new Error('CA private key does not match the CA certificate');
  const der = fromPem('CERTIFICATE', certPem) ?? nodeCert.raw;
  return new Ca(nodeCert, AsnConvert.parse(der, Certificate), key);
}

export class Ca {
  readonly certPem: string;
  private readonly subject: Name;
  private readonly notAfter: number;
  /** Points leaves at the CA's own subject key identifier so chain builders match it, whoever made the CA. */
  private readonly authorityKeyId: Extension;

  constructor(
    nodeCert: X509Certificate,
    cert: Certificate,
    private readonly signingKey: KeyObject,
  ) {
    this.certPem = nodeCert.toString();
    const tbs = cert.tbsCertificate;
    this.subject = tbs.subject;
    this.notAfter = Date.parse(nodeCert.validTo);
    const ski = tbs.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
    const keyId = ski
      ? AsnConvert.parse(ski.extnValue.buffer, SubjectKeyIdentifier)
      : keyIdentifier(tbs.subjectPublicKeyInfo);
    this.authorityKeyId = extension(
      id_ce_authorityKeyIdentifier,
      false,
      new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) }),
    );
  }

  /** The certificate served on 61443: names are the app's internal routes plus the instance GUID. */
  issueC2c(req: C2cCertificateRequest): string {
    req.dnsNames.forEach(assertDnsName);
    // DNS matching ignores case; lower-casing lets duplicates collapse.
    const names = [...new Set([...req.dnsNames, req.instanceGuid].map((name) => name.toLowerCase()))];
    return this.issue(
      req,
      names.map((dNSName) => new GeneralName({ dNSName })),
      [id_kp_serverAuth],
    );
  }

  /** The instance identity certificate (CF_INSTANCE_CERT), usable for both ends of a TLS connection. */
  issueIdentity(req: IdentityCertificateRequest): string {
    assertIp(req.ip);
    return this.issue(
      req,
      [new GeneralName({ dNSName: req.instanceGuid }), new GeneralName({ iPAddress: req.ip })],
      [id_kp_serverAuth, id_kp_clientAuth],
    );
  }

  /**
   * The control plane's own HTTPS certificate. Its key is made here, in the control plane's memory, and
   * is returned rather than stored: the server holds it only while it runs.
   */
  issueServer(req: ServerCertificateRequest): CaMaterial {
    req.dnsNames.forEach(assertDnsName);
    req.ips.forEach(assertIp);
    const keys = generateP256Keys();
    const altNames = [
      ...[...new Set(req.dnsNames.map((n) => n.toLowerCase()))].map(
        (dNSName) => new GeneralName({ dNSName }),
      ),
      ...[...new Set(req.ips)].map((iPAddress) => new GeneralName({ iPAddress })),
    ];
    const certPem = this.sign(
      {
        subject: distinguishedName([['CN', 'weft control plane']]),
        publicKey: spkiOf(keys.publicKey),
        validityHours: req.validityHours,
      },
      altNames,
      [id_kp_serverAuth],
    );
    return { certPem, keyPem: privateKeyPem(keys.privateKey) };
  }

  private issue(
    req: InstanceIdentity & { csrPem: string; validityHours?: number },
    altNames: GeneralName[],
    extendedUsages: string[],
  ): string {
    const subject = instanceSubject(req);
    const publicKey = verifiedCsrPublicKey(req.csrPem);
    return this.sign({ subject, publicKey, validityHours: req.validityHours }, altNames, extendedUsages);
  }

  private sign(
    leaf: { subject: Name; publicKey: SubjectPublicKeyInfo; validityHours?: number },
    altNames: GeneralName[],
    extendedUsages: string[],
  ): string {
    const { subject, publicKey } = leaf;
    const hours = leaf.validityHours ?? DEFAULT_LEAF_VALIDITY_HOURS;
    if (!(hours > 0)) throw new CertificateRequestError(`validityHours must be positive, got ${hours}`);
    const now = Date.now();
    // A leaf that outlives its CA would fail verification after the CA expires; stop it there.
    const notAfter = Math.min(now + hours * HOUR_MS, this.notAfter);
    return signCertificate(
      {
        subject,
        issuer: this.subject,
        publicKey,
        notBefore: new Date(now - BACKDATE_MS),
        notAfter: new Date(notAfter),
        extensions: [
          extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
          extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
          extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage(extendedUsages)),
          extension(id_ce_subjectAltName, false, new SubjectAlternativeName(altNames)),
          extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(publicKey))),
          this.authorityKeyId,
        ],
      },
      this.signingKey,
    );
  }
}
