// Certificates for instances, asked for by the cell that runs them. The cell sends a CSR (its key never
// leaves it); the control plane decides the names from its own records, not from the request.
import type { Endpoints } from './deps.js';
import { CELLS, EVERYONE, requireCell } from '../auth.js';
import { invalid } from '../../model/errors.js';
import { certificateFacts } from '../../store/certificate-facts.js';
import { describeIssued, recordIssued } from '../../store/issued-certificates.js';
import { CertificateRequestError } from '../../ca/index.js';
import { isContainerAddress } from '../../network/cidr.js';
import {
  CaCertificate,
  CellId,
  CertificateRequest,
  Closed,
  Guid,
  IssuedCertificate,
} from '../../contract/api.js';

export const certificateEndpoints: Endpoints = (app, { store, ca, options }, done) => {
  app.get('/v1/ca', { config: { allow: EVERYONE }, schema: { response: { 200: CaCertificate } } }, () => ({
    certificate: ca.certPem,
  }));

  app.post(
    '/v1/cells/:id/instances/:guid/certificates',
    {
      config: { allow: CELLS },
      schema: {
        params: Closed({ id: CellId, guid: Guid }),
        body: CertificateRequest,
        response: { 200: IssuedCertificate },
      },
    },
    async (req, reply) => {
      const { id, guid } = req.params;
      requireCell(req, id);
      const facts = await store.read((db) => certificateFacts(db, id, guid));
      if (!isContainerAddress(facts.subnet, req.body.ip)) {
        throw invalid(`ip: ${req.body.ip} is not a container address of cell ${id}'s subnet ${facts.subnet}`);
      }
      const identity = {
        instanceGuid: guid,
        appGuid: facts.appGuid,
        spaceGuid: facts.space.guid,
        orgGuid: facts.space.orgGuid,
        csrPem: req.body.csr,
        validityHours: options.certificateValidityHours,
      };
      try {
        const certificate =
          req.body.kind === 'c2c'
            ? ca.issueC2c({ ...identity, dnsNames: facts.names })
            : ca.issueIdentity({ ...identity, ip: req.body.ip });
        const issued = describeIssued(guid, req.body.kind, certificate);
        // Recorded for display once the answer is out: a commit waits for the disk, and on a busy host
        // that wait (up to 200 ms measured) held every start and map-route that needed this certificate.
        reply.raw.once('close', () => {
          recordIssued(store.db, issued).catch((err: unknown) =>
            req.log.warn({ err, instance: guid }, 'could not record the issued certificate'),
          );
        });
        return { certificate, ca: ca.certPem, names: facts.names };
      } catch (err) {
        if (err instanceof CertificateRequestError) throw invalid(`csr: ${err.message}`);
        throw err;
      }
    },
  );
  done();
};
