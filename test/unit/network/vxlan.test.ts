import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlayVni, remoteCellsBatch, vxlanMac } from '../../../src/network/vxlan.js';

test('every cell of an overlay derives the same VXLAN id, and other overlays other ids', () => {
  assert.equal(overlayVni('10.96.0.0/16'), overlayVni('10.96.0.0/16'));
  assert.notEqual(overlayVni('10.96.0.0/16'), overlayVni('10.97.0.0/16'));
  assert.ok(overlayVni('10.96.0.0/16') > 0 && overlayVni('10.96.0.0/16') < 2 ** 24);
});

test("a cell's VXLAN MAC is a locally administered unicast address naming its gateway", () => {
  assert.equal(vxlanMac('10.96.2.1'), '02:77:0a:60:02:01');
  assert.notEqual(vxlanMac('10.96.2.1'), vxlanMac('10.96.3.1'));
});

test("a remote cell's subnet is routed through its gateway, whose MAC is pinned", () => {
  assert.deepEqual(
    remoteCellsBatch('weft-vx', [{ subnet: '10.96.2.0/24', gatewayIp: '10.96.2.1', hostIp: '192.0.2.9' }]),
    [
      'neigh replace 10.96.2.1 lladdr 02:77:0a:60:02:01 dev weft-vx nud permanent',
      'route replace 10.96.2.0/24 via 10.96.2.1 dev weft-vx onlink proto 87',
    ],
  );
});
