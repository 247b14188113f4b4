// GET /v1/apps/:guid/certificates: the certificates last issued to the app's instances.
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Guid } from './api.js';

export const IssuedCertificateInfo = Closed({
  instanceGuid: Guid,
  index: Type.Integer({ minimum: 0 }),
  /** c2c: the one HAProxy serves on 61443; identity: the one the instance presents as a client. */
  kind: Type.Union([Type.Literal('c2c'), Type.Literal('identity')]),
  /** The subject alternative names, as the certificate carries them (DNS:…, URI:…, IP Address:…). */
  names: Type.Array(Type.String()),
  serial: Type.String(),
  notBefore: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
});
export type IssuedCertificateInfo = Static<typeof IssuedCertificateInfo>;
