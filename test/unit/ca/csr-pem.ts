// A CSR's DER and PEM, both ways, for tests that alter a request's bytes.
import assert from 'node:assert/strict';
import { fromPem, toPem } from '../../../src/ca/x509-der.js';

export const requestPem = (der: Buffer): string => toPem('CERTIFICATE REQUEST', der);

export const requestDer = (pem: string): Buffer =>
  fromPem('CERTIFICATE REQUEST', pem) ?? assert.fail('no CSR in the PEM');
