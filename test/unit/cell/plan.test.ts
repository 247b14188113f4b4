import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planEnforcer, type CellIdentity } from '../../../src/cell/plan.js';
import { World } from '../../../src/cell/world.js';

const identity: CellIdentity = {
  cellId: 'c1',
  table: 'weft',
  ifacePrefix: 'weftc',
  overlayCidr: '10.99.0.0/16',
  gatewayIp: '10.99.1.1',
  exemptCgroup: { path: 'unified/weft-cell-weft-1', level: 1 },
};

function worldWithCells(cells: { id: string; hostIp: string; subnet: string }[]): World {
  return new World({
    revision: 1,
    overlayCidr: '10.99.0.0/16',
    orgs: [],
    spaces: [],
    apps: [],
    domains: [],
    routes: [],
    policies: [],
    instances: [],
    cells,
  });
}

test('the kernel plan exempts the cell’s cgroup and takes VXLAN from every other cell’s host, not its own', () => {
  const world = worldWithCells([
    { id: 'c1', hostIp: '192.0.2.1', subnet: '10.99.1.0/24' },
    { id: 'c2', hostIp: '192.0.2.2', subnet: '10.99.2.0/24' },
    { id: 'c3', hostIp: '192.0.2.3', subnet: '10.99.3.0/24' },
  ]);
  const desired = planEnforcer(world, identity, []);
  assert.deepEqual(desired.exemptCgroup, identity.exemptCgroup);
  assert.deepEqual(desired.peerHosts.sort(), ['192.0.2.2', '192.0.2.3']);
  assert.equal('cellId' in desired, false);
});
