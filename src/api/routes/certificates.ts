// Certificates for instances, asked for by the cell that runs them. The cell sends a CSR (its key never
// leaves it); the control plane decides the names from its own records, not from the request.
import { Type } from '@sinclair/typebox';
import type { Api } from '../server.js';
import { requireRole } from '../auth.js';
import { conflict, invalid, notFound } from '../../model/errors.js';
import { instanceNames } from '../../model/names.js';
import { getApp } from '../../store/apps.js';
import { listDomains, listRoutes } from '../../store/routes.js';
import { getSpace } from '../../store/tenancy.js';
import { CertificateRequestError } from '../../ca/index.js';
import { cidrContains } from '../../network/cidr.js';

export function certificateRoutes(api: Api): void {
  const { store, ca } = api;
  api.app.get('/v1/ca', () => ({ certificate: ca.certPem }));

  api.app.post(
    '/v1/cells/:id/instances/:guid/certificates',
    {
      schema: {
        params: Type.Object({ id: Type.String({ maxLength: 64 }), guid: Type.String({ maxLength: 64 }) }),
        body: Type.Object({
          kind: Type.Union([Type.Literal('c2c'), Type.Literal('identity')]),
          csr: Type.String({ minLength: 1, maxLength: 16384 }),
          ip: Type.String({ format: 'ipv4' }),
        }),
      },
    },
    async (req) => {
      requireRole(req, 'admin', 'cell');
      const { id, guid } = req.params;
      const facts = await store.read(async (db) => {
        const instance = await db
          .selectFrom('instances')
          .selectAll()
          .where('guid', '=', guid)
          .executeTakeFirst();
        if (!instance) throw notFound(`instance ${guid} not found`);
        if (instance.cell_id !== id) throw conflict(`instance ${guid} is not placed on cell ${id}`);
        const cell = await db
          .selectFrom('cells')
          .select('subnet')
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        const app = await getApp(db, instance.app_guid);
        const space = await getSpace(db, app.spaceGuid);
        const domains = new Map((await listDomains(db)).map((d) => [d.guid, d]));
        const names = instanceNames(await listRoutes(db), (g) => domains.get(g), app.guid, instance.idx);
        return { instance, app, space, subnet: cell.subnet, names };
      });
      if (!cidrContains(facts.subnet, req.body.ip)) {
        throw invalid(`ip: ${req.body.ip} is not in cell ${id}'s subnet ${facts.subnet}`);
      }
      const identity = {
        instanceGuid: guid,
        appGuid: facts.app.guid,
        spaceGuid: facts.space.guid,
        orgGuid: facts.space.orgGuid,
        csrPem: req.body.csr,
        validityHours: api.options.certificateValidityHours,
      };
      try {
        const certificate =
          req.body.kind === 'c2c'
            ? await ca.issueC2c({ ...identity, dnsNames: facts.names })
            : await ca.issueIdentity({ ...identity, ip: req.body.ip });
        return { certificate, ca: ca.certPem, names: facts.names };
      } catch (err) {
        if (err instanceof CertificateRequestError) throw invalid(`csr: ${err.message}`);
        throw err;
      }
    },
  );
}
