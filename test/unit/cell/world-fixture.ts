// A small world for the cell's unit tests: apps, instances placed on cells, policies, built as a snapshot.
import type { Instance, Policy, Snapshot, StreamApp } from '../../../src/model/types.js';
import { cellLinks } from '../../../src/cell/links.js';
import { World } from '../../../src/cell/world.js';

export const CELL = { id: 'cell-1', hostIp: '192.0.2.1', subnet: '10.99.1.0/24' };
export const OTHER_CELL = { id: 'cell-2', hostIp: '192.0.2.2', subnet: '10.99.2.0/24' };
export const ALLOCATOR = { subnet: CELL.subnet, gatewayIp: '10.99.1.1', links: cellLinks('wt') };
export const IDENTITY = {
  cellId: CELL.id,
  table: 'weft_test',
  ifacePrefix: 'wtc',
  overlayCidr: '10.99.0.0/16',
  gatewayIp: '10.99.1.1',
  exemptCgroup: { path: 'unified/weft-cell-weft_test-1', level: 1 },
};

export function app(guid: string, tag: number, over: Partial<StreamApp> = {}): StreamApp {
  return {
    guid,
    name: guid,
    spaceGuid: 'space-1',
    command: 'true',
    packageDigest: null,
    packageSize: null,
    instances: 1,
    memoryMb: 64,
    ports: [8080],
    state: 'STARTED',
    tag,
    mtls: false,
    ...over,
  };
}

export function instance(guid: string, appGuid: string, over: Partial<Instance> = {}): Instance {
  return {
    guid,
    appGuid,
    index: 0,
    cellId: CELL.id,
    state: 'STARTING',
    ip: null,
    since: '2026-11-27T00:00:00.000Z',
    ...over,
  };
}

export function policy(source: string, dest: string, start: number, end = start): Policy {
  return { sourceAppGuid: source, destAppGuid: dest, protocol: 'tcp', startPort: start, endPort: end };
}

export function world(parts: Partial<Snapshot> = {}): World {
  return new World({
    revision: 1,
    overlayCidr: IDENTITY.overlayCidr,
    orgs: [],
    spaces: [],
    apps: [],
    domains: [],
    routes: [],
    policies: [],
    instances: [],
    cells: [CELL, OTHER_CELL],
    ...parts,
  });
}
