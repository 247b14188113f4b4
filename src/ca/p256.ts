// The one key type weft issues for and accepts: ECDSA on NIST P-256 with SHA-256. Keys, signatures and
// checks are Node's own, and synchronous: on a busy event loop, every WebCrypto call's round trip through
// the thread pool waited behind the cell's other work.
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
// The named curve prime256v1 (1.2.840.10045.3.1.7) as the key's parameters hold it: a DER OBJECT IDENTIFIER.
const PRIME256V1_DER = Buffer.from('06082a8648ce3d030107', 'hex');
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export interface P256Keys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateP256Keys(): P256Keys {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** ecdsa-with-SHA256, whose parameters are absent (RFC 5758). */
export function ecdsaWithSha256(): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
}

export function isEcdsaWithSha256(alg: AlgorithmIdentifier): boolean {
  return alg.algorithm === ECDSA_WITH_SHA256;
}

export function spkiOf(key: KeyObject): SubjectPublicKeyInfo {
  return AsnConvert.parse(key.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
}

export function isP256Spki(spki: SubjectPublicKeyInfo): boolean {
  const { algorithm, parameters } = spki.algorithm;
  return algorithm === EC_PUBLIC_KEY && !!parameters && PRIME256V1_DER.equals(Buffer.from(parameters));
}

/** DER ECDSA signature, as X.509 and PKCS#10 carry it. */
export function signSha256(data: ArrayBuffer, key: KeyObject): ArrayBuffer {
  const signature = sign('sha256', Buffer.from(data), key);
  return new Uint8Array(signature).buffer;
}

export function verifySha256(data: ArrayBuffer, spki: SubjectPublicKeyInfo, signature: ArrayBuffer): boolean {
  const key = { key: Buffer.from(AsnConvert.serialize(spki)), format: 'der', type: 'spki' } as const;
  try {
    return verify('sha256', Buffer.from(data), key, Buffer.from(signature));
  } catch {
    return false;
  }
}

/** The subject key identifier of RFC 5280 4.2.1.2 (1): SHA-1 of the public key's bits. */
export function keyIdentifier(spki: SubjectPublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest()).buffer;
}
