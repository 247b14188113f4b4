import { isIP } from 'node:net';
import { CertificateRequestError } from './errors.js';
import type { Name } from '@peculiar/asn1-x509';
import { distinguishedName } from './x509-der.js';

export interface InstanceIdentity {
  instanceGuid: string;
  appGuid: string;
  spaceGuid: string;
  orgGuid: string;
}

// A hostname label: letters, digits and inner hyphens (RFC 1123); GUIDs qualify too.
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const GUID_CHARS = /^[A-Za-z0-9-]{1,63}$/;

/** Subject as Cloud Foundry's instance identity writes it: CN=instance, one OU per org/space/app. */
export function instanceSubject(id: InstanceIdentity): Name {
  const { instanceGuid, appGuid, spaceGuid, orgGuid } = id;
  for (const [field, value] of Object.entries({ instanceGuid, appGuid, spaceGuid, orgGuid })) {
    if (!GUID_CHARS.test(value))
      throw new CertificateRequestError(`invalid ${field}: ${JSON.stringify(value)}`);
  }
  return distinguishedName([
    ['CN', id.instanceGuid],
    ['OU', `organization:${id.orgGuid}`],
    ['OU', `space:${id.spaceGuid}`],
    ['OU', `app:${id.appGuid}`],
  ]);
}

export function assertDnsName(name: string): void {
  const labels = name.split('.');
  if (name.length > 253 || !labels.every((label) => LABEL.test(label))) {
    throw new CertificateRequestError(`invalid DNS name: ${JSON.stringify(name)}`);
  }
}

export function assertIp(ip: string): void {
  if (isIP(ip) === 0) throw new CertificateRequestError(`invalid IP address: ${JSON.stringify(ip)}`);
}
