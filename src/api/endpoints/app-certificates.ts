// GET /v1/apps/:guid/certificates: names and expiry of the certificates issued to an app's instances,
// scoped like the app itself (an app outside the caller's spaces answers 404).
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { DEVELOPERS, requireApp } from '../auth.js';
import { getApp } from '../../store/apps.js';
import { listInstances } from '../../store/instances.js';
import { issuedTo } from '../../store/issued-certificates.js';
import { GuidParams } from '../../contract/api.js';
import { IssuedCertificateInfo } from '../../contract/certificates.js';

export const appCertificateEndpoints: Endpoints = (app, { store }, done) => {
  app.get(
    '/v1/apps/:guid/certificates',
    {
      config: { allow: DEVELOPERS },
      schema: { params: GuidParams, response: { 200: Type.Array(IssuedCertificateInfo) } },
    },
    (req) =>
      store.read(async (db) => {
        requireApp(req, await getApp(db, req.params.guid));
        const instances = await listInstances(db, { appGuid: req.params.guid });
        const index = new Map(instances.map((i) => [i.guid, i.index]));
        const issued = await issuedTo(db, [...index.keys()]);
        return issued.map((c) => ({ ...c, index: index.get(c.instanceGuid) ?? 0 }));
      }),
  );
  done();
};
