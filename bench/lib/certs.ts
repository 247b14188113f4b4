// Certificates for the proxy scenarios, issued by weft's own CA: ECDSA P-256 leaves as a cell would get them.
import { randomUUID } from 'node:crypto';
import { createCa, generateKeyAndCsr, loadCa } from '../../src/ca/index.js';
import type { Credentials } from '../../src/proxy/index.js';

export interface BenchCa {
  caPem: string;
  issue(host: string): Credentials;
}

export function benchCa(): BenchCa {
  const material = createCa({ commonName: 'weft bench CA' });
  const ca = loadCa(material.certPem, material.keyPem);
  return {
    caPem: material.certPem,
    issue(host) {
      const instanceGuid = randomUUID();
      const { keyPem, csrPem } = generateKeyAndCsr(instanceGuid);
      const certPem = ca.issueC2c({
        csrPem,
        dnsNames: [`${host}.apps.internal`],
        instanceGuid,
        appGuid: randomUUID(),
        spaceGuid: randomUUID(),
        orgGuid: randomUUID(),
      });
      return { certPem, keyPem };
    },
  };
}
