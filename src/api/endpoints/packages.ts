// App packages: developers upload and download their apps' bits; a cell fetches the package of an app
// it runs an instance of, by digest, and nothing else. Bodies stream in and out in chunks: no side holds
// a whole package in memory, and an upload is cut off as soon as it passes the size limit.
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Endpoints } from './deps.js';
import { actor, CELLS, DEVELOPERS, requireApp, requireCell } from '../auth.js';
import { getApp, setAppPackage } from '../../store/apps.js';
import {
  beginUpload,
  CHUNK_BYTES,
  discardUpload,
  finishUpload,
  packageSize,
  putChunk,
  readChunk,
} from '../../store/packages.js';
import type { Database } from '../../store/schema.js';
import { App, CellId, Closed, GuidParams } from '../../contract/api.js';
import { invalid, notFound, tooLarge } from '../../model/errors.js';
import { isDigest, newHash } from '../../package/digest.js';

export const PACKAGE_TYPE = 'application/gzip';
const Digest = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const packageEndpoints: Endpoints = (app, { store, options }, done) => {
  // The body reaches the handler unread, as a stream; fastify's body limit does not apply to it.
  app.addContentTypeParser([PACKAGE_TYPE, 'application/octet-stream'], (_req, payload, parsed) =>
    parsed(null, payload),
  );

  app.put(
    '/v1/apps/:guid/package',
    { config: { allow: DEVELOPERS }, schema: { params: GuidParams, response: { 200: App } } },
    async (req, reply) => {
      requireApp(req, await getApp(store.db, req.params.guid));
      const max = options.maxPackageBytes;
      const declared = Number(req.headers['content-length']);
      if (Number.isInteger(declared) && declared > max) throw refuseLarge(reply, max);
      if (!(req.body instanceof Readable)) {
        throw invalid(`body: send the package as ${PACKAGE_TYPE}, the archive \`weft push\` makes`);
      }
      const body = req.body;
      const id = await beginUpload(store.db);
      try {
        const { digest, size } = await storeChunks(store.db, id, body, max, reply);
        if (size === 0) throw invalid('body: the package is empty');
        return await store.write(actor(req), async (w) => {
          await finishUpload(w, id, digest, size);
          return setAppPackage(w, req.params.guid, digest, size);
        });
      } catch (err) {
        await discardUpload(store.db, id);
        throw err;
      }
    },
  );

  app.get(
    '/v1/apps/:guid/package',
    { config: { allow: DEVELOPERS }, schema: { params: GuidParams } },
    async (req, reply) => {
      const found = requireApp(req, await getApp(store.db, req.params.guid));
      if (found.packageDigest === null) throw notFound(`app ${found.name} has no package yet`);
      return sendPackage(store.db, found.packageDigest, reply);
    },
  );

  // Least privilege: a cell gets the package of an app it has an instance of, and 404 for any other.
  app.get(
    '/v1/cells/:id/packages/:digest',
    { config: { allow: CELLS }, schema: { params: Closed({ id: CellId, digest: Digest }) } },
    async (req, reply) => {
      requireCell(req, req.params.id);
      const { id, digest } = req.params;
      const placed = await store.db
        .selectFrom('instances')
        .innerJoin('apps', 'apps.guid', 'instances.app_guid')
        .select('instances.guid')
        .where('instances.cell_id', '=', id)
        .where('apps.package_digest', '=', digest)
        .executeTakeFirst();
      if (!placed) throw notFound(`package ${digest} not found for cell ${id}`);
      return sendPackage(store.db, digest, reply);
    },
  );
  done();
};

/** Writes the body into chunk rows as it arrives, hashing it; refuses it once it passes `max` bytes. */
async function storeChunks(
  db: Kysely<Database>,
  id: string,
  body: Readable,
  max: number,
  reply: FastifyReply,
): Promise<{ digest: string; size: number }> {
  const hash = newHash();
  let size = 0;
  let seq = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    await putChunk(db, id, seq++, Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw refuseLarge(reply, max);
    hash.update(chunk);
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= CHUNK_BYTES) await flush();
  }
  await flush();
  return { digest: hash.digest('hex'), size };
}

/** The client may still be sending: the connection closes after the answer rather than read on. */
function refuseLarge(reply: FastifyReply, max: number): Error {
  void reply.header('connection', 'close');
  return tooLarge(`body: the package is larger than the ${max} bytes allowed`);
}

async function sendPackage(db: Kysely<Database>, digest: string, reply: FastifyReply): Promise<FastifyReply> {
  if (!isDigest(digest)) throw invalid('digest: not a SHA-256 digest');
  const size = await packageSize(db, digest);
  if (size === null) throw notFound(`package ${digest} not found`);
  async function* chunks() {
    for (let seq = 0; ; seq++) {
      const chunk = await readChunk(db, digest, seq);
      if (!chunk) return;
      yield chunk;
    }
  }
  return reply
    .type(PACKAGE_TYPE)
    .header('content-length', String(size))
    .header('x-weft-package-digest', digest)
    .send(Readable.from(chunks()));
}
