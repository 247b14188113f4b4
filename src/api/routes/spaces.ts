// /v1/spaces/:guid with its quota and usage; only admins set a quota.
import { Type, type Static } from '@sinclair/typebox';
import type { Api } from '../server.js';
import { actor, requireRole, spaceScope } from '../auth.js';
import { notFound } from '../../model/errors.js';
import { setSpaceQuota, spaceQuota } from '../../guards/quota.js';
import { readUsage } from '../../store/quotas.js';
import type { Db } from '../../store/writer.js';
import { Guid, GuidParams } from '../schemas.js';

const Count = (maximum: number) => Type.Integer({ minimum: 0, maximum });

/** Bounds keep every sum within a 32-bit column and every size within what a request can carry. */
const QuotaPatch = Type.Object(
  {
    apps: Type.Optional(Count(65_535)),
    instances: Type.Optional(Count(1_000_000)),
    memoryMb: Type.Optional(Count(1_000_000_000)),
    routes: Type.Optional(Count(1_000_000)),
    policies: Type.Optional(Count(10_000_000)),
    envBytes: Type.Optional(Count(1024 * 1024)),
  },
  { additionalProperties: false },
);

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
  const space = await db
    .selectFrom('spaces')
    .innerJoin('orgs', 'orgs.guid', 'spaces.org_guid')
    .select(['spaces.guid', 'spaces.name', 'orgs.guid as orgGuid', 'orgs.name as orgName'])
    .where('spaces.guid', '=', guid)
    .executeTakeFirst();
  const held = await readUsage(db, guid);
  if (!space || !held) throw notFound(`space ${guid} not found`);
  return {
    guid: space.guid,
    name: space.name,
    org: { guid: space.orgGuid, name: space.orgName },
    quota: await spaceQuota(db, guid),
    usage: held.usage,
  };
}

export function spaceRoutes(api: Api): void {
  const { store } = api;
  api.app.get(
    '/v1/spaces/:guid',
    { schema: { params: GuidParams, response: { 200: SpaceView } } },
    async (req) => {
      const scope = spaceScope(req);
      // A space that is not theirs is one a developer cannot tell from one that does not exist.
      if (scope && !scope.includes(req.params.guid)) throw notFound(`space ${req.params.guid} not found`);
      return store.read((db) => spaceView(db, req.params.guid));
    },
  );

  api.app.put(
    '/v1/spaces/:guid/quota',
    { schema: { params: GuidParams, body: QuotaPatch, response: { 200: SpaceView } } },
    async (req) => {
      requireRole(req, 'admin');
      return store.write(actor(req), async (w) => {
        await setSpaceQuota(w, req.params.guid, req.body);
        return spaceView(w.trx, req.params.guid);
      });
    },
  );
}
