// GET /v1/openapi.json describes the API as OpenAPI 3. The document does not depend on the database,
// so one SQLite-backed server is enough.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/control-plane.js';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

test('the OpenAPI 3 document lists the policy API and the /v1 resources with their methods', async () => {
  const res = await server.fetch(`${server.url}/v1/openapi.json`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const doc = (await res.json()) as OpenApiDocument;
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  assert.equal(typeof doc.info.title, 'string');
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });

  const expected: Record<string, string[]> = {
    '/networking/v1/external/policies': ['get', 'post'],
    '/networking/v1/external/policies/delete': ['post'],
    '/v1/orgs': ['get', 'post'],
    '/v1/spaces': ['get', 'post'],
    '/v1/apps': ['get', 'post'],
    '/v1/apps/{guid}': ['delete', 'get', 'patch'],
    '/v1/domains': ['get', 'post'],
    '/v1/routes': ['get', 'post'],
    '/v1/watch': ['get'],
    '/v1/tokens': ['post'],
  };
  for (const [path, methods] of Object.entries(expected)) {
    const item = doc.paths[path];
    assert.ok(item, `${path} is documented`);
    for (const m of methods) assert.ok(item[m], `${m.toUpperCase()} ${path} is documented`);
  }
  const create =
    doc.paths['/networking/v1/external/policies']?.post?.requestBody?.content['application/json'];
  const schema = JSON.stringify(create?.schema);
  for (const word of ['"policies"', '"source"', '"destination"', '"protocol"', '"tcp"', '"udp"', '"ports"']) {
    assert.ok(schema.includes(word), `the policy body schema mentions ${word}`);
  }
});
