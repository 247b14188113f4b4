// /v1/spaces/:guid with its quota and usage; only admins set a quota.
import { Type, type Static } from '@sinclair/typebox';
import type { Endpoints } from './deps.js';
import { actor, DEVELOPERS, requireSpace } from '../auth.js';
import { notFound } from '../../model/errors.js';
import { setSpaceQuota, spaceQuota } from '../../guards/quota.js';
import { readUsage } from '../../store/quotas.js';
import { getSpaceWithOrg } from '../../store/tenancy.js';
import type { Db } from '../../store/writer.js';
import { Closed, Guid, GuidParams } from '../schemas.js';

const Count = (maximum: number) => Type.Integer({ minimum: 0, maximum });

/** Bounds keep every sum within a 32-bit column and every size within what a request can carry. */
const QuotaPatch = Closed({
  apps: Type.Optional(Count(65_535)),
  instances: Type.Optional(Count(1_000_000)),
  memoryMb: Type.Optional(Count(1_000_000_000)),
  routes: Type.Optional(Count(1_000_000)),
  policies: Type.Optional(Count(10_000_000)),
  envBytes: Type.Optional(Count(1024 * 1024)),
});

const QuotaNumbers = Type.Object({
  apps: Type.Integer(),
  instances: Type.Integer(),
  memoryMb: Type.Integer(),
  routes: Type.Integer(),
  policies: Type.Integer(),
  envBytes: Type.Integer(),
});

const SpaceView = Type.Object({
  guid: Guid,
  name: Type.String(),
  org: Type.Object({ guid: Guid, name: Type.String() }),
  quota: QuotaNumbers,
  usage: QuotaNumbers,
});

async function spaceView(db: Db, guid: string): Promise<Static<typeof SpaceView>> {
  const { space, org } = await getSpaceWithOrg(db, guid);
  const held = await readUsage(db, guid);
  if (!held) throw notFound(`space ${guid} not found`);
  return { guid: space.guid, name: space.name, org, quota: await spaceQuota(db, guid), usage: held.usage };
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
