import type { App, Instance, Snapshot } from '../../../src/model/types.js';

export const APPS_INTERNAL = { guid: 'domain-internal', name: 'apps.internal', internal: true };
export const PUBLIC_DOMAIN = { guid: 'domain-public', name: 'example.com', internal: false };

export function app(guid: string, state: App['state'] = 'STARTED'): App {
  return {
    guid,
    name: guid,
    spaceGuid: 'space-1',
    command: 'serve',
    packageDigest: null,
    packageSize: null,
    instances: 1,
    memoryMb: 64,
    env: {},
    ports: [8080],
    state,
    tag: 1,
    mtls: false,
  };
}

export function instance(
  appGuid: string,
  index: number,
  ip: string | null,
  state: Instance['state'] = 'RUNNING',
): Instance {
  return {
    guid: `${appGuid}-${index}`,
    appGuid,
    index,
    cellId: 'cell-1',
    state,
    ip,
    since: '2024-01-01T00:00:00Z',
  };
}

/** Route `app-b.apps.internal` → apps b and c; b has two running instances, c one. */
export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    revision: 7,
    overlayCidr: '10.250.0.0/16',
    orgs: [],
    spaces: [],
    apps: [app('b'), app('c')],
    domains: [APPS_INTERNAL, PUBLIC_DOMAIN],
    routes: [
      {
        guid: 'route-b',
        host: 'app-b',
        domainGuid: APPS_INTERNAL.guid,
        spaceGuid: null,
        appGuids: ['b', 'c'],
      },
    ],
    policies: [],
    instances: [
      instance('b', 0, '10.250.1.2'),
      instance('b', 1, '10.250.1.3'),
      instance('c', 0, '10.250.2.2'),
    ],
    cells: [],
    ...overrides,
  };
}
