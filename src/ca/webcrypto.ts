import { KeyObject, createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 signs and verifies through WebCrypto; Node's implementation backs it.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** The only key type weft issues for or accepts: ECDSA on NIST P-256, signatures with SHA-256. */
const P256_KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
export const P256_SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

export async function generateP256KeyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(P256_KEY_ALGORITHM, true, ['sign', 'verify']);
}

export function privateKeyToPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Imports a PEM private key (PKCS#8 or SEC1) as a P-256 signing key; throws for any other key type. */
export async function importP256PrivateKey(pem: string): Promise<CryptoKey> {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('private key is not an EC P-256 key');
  }
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  return await webcrypto.subtle.importKey('pkcs8', pkcs8, P256_KEY_ALGORITHM, false, ['sign']);
}

export function isP256PublicKey(key: x509.PublicKey): boolean {
  const algorithm = key.algorithm as Partial<EcKeyAlgorithm>;
  return algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256';
}
