import type { PeerCertificate } from 'node:tls';

const APP_OU_PREFIX = 'app:';

/** The caller's app GUID from a peer certificate's OU=app:GUID (instance identity), or null. */
export function appIdentityFromCert(peerCert: PeerCertificate | null | undefined): string | null {
  // Node gives one OU as a string and repeated OUs as an array.
  const ou: string | string[] | undefined = peerCert?.subject?.OU;
  const units = typeof ou === 'string' ? [ou] : (ou ?? []);
  const apps = units
    .filter((unit) => unit.startsWith(APP_OU_PREFIX))
    .map((unit) => unit.slice(APP_OU_PREFIX.length));
  // Exactly one app: a certificate naming two apps is ambiguous and identifies nobody.
  return apps.length === 1 && apps[0] !== '' ? (apps[0] ?? null) : null;
}
