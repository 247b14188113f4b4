// A platform as the adversarial tests find it: one org with spaces A and B, a developer of each, two
// registered cells each with its own cell token, and instances placed on both cells.
import assert from 'node:assert/strict';
import type { App, Cell, Instance } from '../../../src/model/types.js';
import { startServer, type TestServer } from '../../helpers/control-plane.js';
import { created, createApp, seedTenancy, type Tenancy } from '../../helpers/fixtures.js';

export interface TestCell {
  id: string;
  token: string;
  subnet: string;
}

export interface Platform extends Tenancy {
  devA: string;
  devB: string;
  c1: TestCell;
  c2: TestCell;
  /** Where each app's first instance runs: a1..a3, b1, b2 on c1; a4 and b3 on c2. */
  instanceOf(app: string): Promise<Instance>;
}

async function cell(server: TestServer, id: string, hostIp: string): Promise<TestCell> {
  const { token } = await created<{ token: string }>(
    server.api('POST', '/v1/tokens', { name: `cell-${id}`, role: 'cell', cellId: id }),
  );
  const registered = await created<Cell>(server.api('PUT', `/v1/cells/${id}`, { hostIp }, token));
  return { id, token, subnet: registered.subnet };
}

export async function seedPlatform(server: TestServer): Promise<Platform> {
  const t = await seedTenancy(server);
  const devB = await created<{ token: string }>(
    server.api('POST', '/v1/tokens', { name: 'dev-b', role: 'space_developer', spaceGuids: [t.spaceB.guid] }),
  );
  const c1 = await cell(server, 'c1', '192.0.2.1');
  const c2 = await cell(server, 'c2', '192.0.2.2');
  const apps: Record<string, App> = { ...t.apps };
  apps.b3 = await createApp(server, t.spaceB.guid, 'b3');
  apps.a4 = await createApp(server, t.spaceA.guid, 'a4');
  return {
    ...t,
    apps,
    devA: t.developerToken,
    devB: devB.token,
    c1,
    c2,
    async instanceOf(name) {
      const app = apps[name];
      assert.ok(app, `no fixture app ${name}`);
      const list = await created<Instance[]>(server.api('GET', `/v1/apps/${app.guid}/instances`));
      const first = list[0];
      assert.ok(first, `app ${name} has no instance`);
      return first;
    },
  };
}

/** A fresh control plane on SQLite with the platform seeded. */
export async function startPlatform(): Promise<{ server: TestServer; p: Platform }> {
  const server = await startServer();
  try {
    return { server, p: await seedPlatform(server) };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** The parts of the API's OpenAPI document these tests walk. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
}

/** The nth usable address of a /24 such as 10.99.1.0/24. */
export function addressIn(subnet: string, n: number): string {
  return `${subnet.split('.').slice(0, 3).join('.')}.${n}`;
}
