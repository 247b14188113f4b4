// Tenancy for API tests: an org with two spaces, apps in each, and a developer of the first space.
import assert from 'node:assert/strict';
import type { App, Space } from '../../src/model/types.js';
import type { TestServer } from './control-plane.js';

export interface Tenancy {
  orgGuid: string;
  spaceA: Space;
  spaceB: Space;
  /** Apps by name: a1, a2, a3 in space A; b1, b2 in space B. */
  apps: Record<string, App>;
  /** A space developer of space A only. */
  developerToken: string;
}

export async function created<T>(reply: Promise<{ status: number; body: unknown }>): Promise<T> {
  const r = await reply;
  assert.ok(
    r.status === 200 || r.status === 201,
    `expected success, got ${r.status} ${JSON.stringify(r.body)}`,
  );
  return r.body as T;
}

export async function createApp(server: TestServer, spaceGuid: string, name: string): Promise<App> {
  return created<App>(server.api('POST', '/v1/apps', { name, spaceGuid, command: 'sleep 1000' }));
}

export async function seedTenancy(server: TestServer, orgName = 'org'): Promise<Tenancy> {
  const org = await created<{ guid: string }>(server.api('POST', '/v1/orgs', { name: orgName }));
  const spaceA = await created<Space>(
    server.api('POST', '/v1/spaces', { name: 'space-a', orgGuid: org.guid }),
  );
  const spaceB = await created<Space>(
    server.api('POST', '/v1/spaces', { name: 'space-b', orgGuid: org.guid }),
  );
  const apps: Record<string, App> = {};
  for (const name of ['a1', 'a2', 'a3']) apps[name] = await createApp(server, spaceA.guid, name);
  for (const name of ['b1', 'b2']) apps[name] = await createApp(server, spaceB.guid, name);
  const dev = await created<{ token: string }>(
    server.api('POST', '/v1/tokens', { name: 'dev-a', role: 'space_developer', spaceGuids: [spaceA.guid] }),
  );
  return { orgGuid: org.guid, spaceA, spaceB, apps, developerToken: dev.token };
}

export function guidOf(tenancy: Tenancy, name: string): string {
  const app = tenancy.apps[name];
  assert.ok(app, `no fixture app ${name}`);
  return app.guid;
}

/** One policy in Cloud Foundry's wire format. */
export function wirePolicy(source: string, dest: string, start = 8080, end = start, protocol = 'tcp') {
  return { source: { id: source }, destination: { id: dest, protocol, ports: { start, end } } };
}
