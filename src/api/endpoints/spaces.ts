// /v1/spaces/:guid with its quota and usage; only admins set a quota.
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, requireSpace } from '../auth.js';
import { notFound } from '../../model/errors.js';
import { DEFAULT_QUOTA, setSpaceQuota } from '../../guards/quota.js';
import { readHeld } from '../../store/quotas.js';
import { getSpaceWithOrg } from '../../store/tenancy.js';
import type { Db } from '../../store/writer.js';
import { GuidParams, QuotaPatch, SpaceView } from '../../contract/api.js';

async function spaceView(db: Db, guid: string): Promise<SpaceView> {
  const { space, org } = await getSpaceWithOrg(db, guid);
  const held = await readHeld(db, guid, 'all');
  if (!held) throw notFound(`space ${guid} not found`);
  return { guid: space.guid, name: space.name, org, quota: held.quota ?? DEFAULT_QUOTA, usage: held.usage };
}

export const spaceEndpoints: Endpoints = (app, { store }, done) => {
  app.get(
    '/v1/spaces/:guid',
    { config: { allow: DEVELOPERS }, schema: { params: GuidParams, response: { 200: SpaceView } } },
    async (req) => {
      requireSpace(req, req.params.guid);
      return store.read((db) => spaceView(db, req.params.guid));
    },
  );

  app.put(
    '/v1/spaces/:guid/quota',
    { schema: { params: GuidParams, body: QuotaPatch, response: { 200: SpaceView } } },
    async (req) =>
      store.write(actor(req), async (w) => {
        await setSpaceQuota(w, req.params.guid, req.body);
        return spaceView(w.trx, req.params.guid);
      }),
  );
  done();
};
