// GET /v1/apps/:guid/certificates: names and expiry of the certificates issued to an app's instances,
// scoped like the app itself (an app outside the caller's spaces answers 404).
import { Type } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { DEVELOPERS, requireApp } from '../auth.js';
import { getApp } from '../../store/apps.js';
import { listInstances } from '../../store/instances.js';
import { GuidParams } from '../../contract/api.js';
import { IssuedCertificateInfo } from '../../contract/certificates.js';

export const appCertificateEndpoints: Endpoints = (app, { store, certificates }, done) => {
  app.get(
    '/v1/apps/:guid/certificates',
    {
      config: { allow: DEVELOPERS },
      schema: { params: GuidParams, response: { 200: Type.Array(IssuedCertificateInfo) } },
    },
    async (req) => {
      const instances = await store.read(async (db) => {
        requireApp(req, await getApp(db, req.params.guid));
        return listInstances(db, { appGuid: req.params.guid });
      });
      return instances.flatMap((i) => certificates.of(i.guid).map((c) => ({ ...c, index: i.index })));
    },
  );
  done();
};
