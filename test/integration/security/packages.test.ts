// App packages on the control plane: only a developer of the app's space (or an admin) uploads or
// downloads them, uploads are cut off at the size limit, the same bits are stored once, and a cell gets
// only the packages of apps it runs an instance of.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { App, Instance } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { countRows } from '../../helpers/database-reader.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';
import { seedPlatform, type Platform } from './platform.js';

const MAX = 3 * 1024 * 1024;
const databases = testDatabases();
after(() => databases.stop());

for (const kind of DATABASE_KINDS)
  describe(`app packages on ${kind}`, () => {
    let server: TestServer;
    let p: Platform;
    let database: string | undefined;
    before(async () => {
      database = await databases.fresh(kind, 'packages');
      server = await startServer({ database, flags: ['--max-package-size', '3M'] });
      p = await seedPlatform(server);
    });
    after(() => server?.stop());

    const guid = (name: string) => p.apps[name]?.guid ?? '';
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

    async function upload(app: string, body: Buffer | Readable, token: string) {
      const res = await server.fetch(`${server.url}/v1/apps/${guid(app)}/package`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        body,
        ...(body instanceof Readable ? { duplex: 'half' as const } : {}),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: (text === '' ? null : JSON.parse(text)) as App & { error?: string },
      };
    }

    async function download(url: string, token: string) {
      const res = await server.fetch(`${server.url}${url}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    }

    const count = (table: string) => countRows(database, server.home, table);

    const instances = async (app: string) =>
      (await server.api<Instance[]>('GET', `/v1/apps/${guid(app)}/instances`)).body.map((i) => i.guid).sort();

    test('no request names a host path for an app: the field is gone', async () => {
      const create = { name: 'pathy', spaceGuid: p.spaceA.guid, command: 'true', path: '/root' };
      const created = await server.api<{ error: string }>('POST', '/v1/apps', create, p.devA);
      assert.equal(created.status, 400);
      assert.match(created.body.error, /path: is not allowed here/);
      const patched = await server.api('PATCH', `/v1/apps/${guid('a1')}`, { path: '/var/lib/weft' }, p.devA);
      assert.equal(patched.status, 400);
      const app = (await server.api<App>('GET', `/v1/apps/${guid('a1')}`)).body;
      assert.equal('path' in app, false);
    });

    test('a developer uploads and downloads their app’s package, stored under its SHA-256 in chunks', async () => {
      const bits = randomBytes(2.5 * 1024 * 1024);
      const r = await upload('a1', bits, p.devA);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.packageDigest, sha256(bits));
      assert.equal(r.body.packageSize, bits.length);
      const back = await download(`/v1/apps/${guid('a1')}/package`, p.devA);
      assert.equal(back.status, 200);
      assert.ok(back.bytes.equals(bits));
      assert.equal(await count('package_chunks'), 3);
    });

    test(
      'another server sharing the PostgreSQL database serves the same package',
      { skip: kind !== 'postgres' },
      async () => {
        const other = await startServer({ database, adminToken: server.adminToken });
        try {
          const digest = (await server.api<App>('GET', `/v1/apps/${guid('a1')}`)).body.packageDigest;
          const res = await other.fetch(`${other.url}/v1/apps/${guid('a1')}/package`, {
            headers: { authorization: `Bearer ${p.devA}` },
          });
          assert.equal(res.status, 200);
          assert.equal(sha256(Buffer.from(await res.arrayBuffer())), digest);
        } finally {
          await other.stop();
        }
      },
    );

    test('a developer of another space can neither upload to nor download an app’s package', async () => {
      const before = (await server.api<App>('GET', `/v1/apps/${guid('a1')}`)).body.packageDigest;
      const r = await upload('a1', randomBytes(1000), p.devB);
      assert.equal(r.status, 404);
      assert.equal((await download(`/v1/apps/${guid('a1')}/package`, p.devB)).status, 404);
      assert.equal((await server.api<App>('GET', `/v1/apps/${guid('a1')}`)).body.packageDigest, before);
      assert.equal((await upload('a1', randomBytes(1000), p.c1.token)).status, 403);
    });

    test('an upload over the limit is refused, by its declared length or as it streams, and leaves nothing', async () => {
      const before = (await server.api<App>('GET', `/v1/apps/${guid('a2')}`)).body.packageDigest;
      const packagesBefore = await count('packages');
      assert.equal((await upload('a2', randomBytes(MAX + 1), p.devA)).status, 413);
      const streamed = Readable.from(
        (function* () {
          for (let i = 0; i < 8; i++) yield randomBytes(512 * 1024);
        })(),
      );
      const r = await upload('a2', streamed, p.devA);
      assert.equal(r.status, 413, JSON.stringify(r.body));
      assert.equal((await server.api<App>('GET', `/v1/apps/${guid('a2')}`)).body.packageDigest, before);
      assert.equal(await count('packages'), packagesBefore);
      assert.equal(await count('package_uploads'), 0);
      assert.equal(await count('package_chunks'), 3, 'only the first package’s chunks');
    });

    test('the same bits pushed twice are stored once; new bits replace the instances, the same do not', async () => {
      const bits = randomBytes(100_000);
      assert.equal((await upload('a2', bits, p.devA)).status, 200);
      const first = await instances('a2');
      assert.equal((await upload('a3', bits, p.devA)).status, 200);
      assert.equal((await upload('a2', bits, p.devA)).status, 200);
      assert.deepEqual(await instances('a2'), first, 'unchanged bits keep the instances');
      const packages = await count('packages');
      assert.equal((await upload('a2', randomBytes(100_000), p.devA)).status, 200);
      assert.notDeepEqual(await instances('a2'), first, 'new bits replace them');
      assert.equal(await count('packages'), packages + 1, 'a3 still uses the old bits');
    });

    test('a cell fetches the package of an app it has an instance of, and no other', async () => {
      const a1 = (await server.api<App>('GET', `/v1/apps/${guid('a1')}`)).body;
      const digest = a1.packageDigest ?? '';
      const on = (await server.api<Instance[]>('GET', `/v1/apps/${guid('a1')}/instances`)).body[0]?.cellId;
      const [mine, other] = on === p.c1.id ? [p.c1, p.c2] : [p.c2, p.c1];
      const got = await download(`/v1/cells/${mine.id}/packages/${digest}`, mine.token);
      assert.equal(got.status, 200);
      assert.equal(sha256(got.bytes), digest);
      assert.equal((await download(`/v1/cells/${other.id}/packages/${digest}`, other.token)).status, 404);
      assert.equal((await download(`/v1/cells/${mine.id}/packages/${digest}`, other.token)).status, 403);
      assert.equal(
        (await download(`/v1/cells/${mine.id}/packages/${'0'.repeat(64)}`, mine.token)).status,
        404,
      );
      assert.equal((await download(`/v1/cells/${mine.id}/packages/../../apps`, mine.token)).status, 404);
    });

    test('deleting the apps that use a package deletes it', async () => {
      for (const name of ['a1', 'a2', 'a3']) {
        assert.equal((await server.api('DELETE', `/v1/apps/${guid(name)}`)).status, 204);
      }
      assert.equal(await count('packages'), 0);
      assert.equal(await count('package_chunks'), 0);
    });
  });
