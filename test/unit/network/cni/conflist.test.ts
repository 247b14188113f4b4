import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appConfList, appNetworkName } from '../../../../src/network/cni/conflist.js';
import { parseCniRequest } from '../../../../src/network/cni/protocol.js';

const GUID = '0b7c3d5e-1f2a-4b6c-8d9e-0a1b2c3d4e5f';

test("an app's conflist names the app's network and, for weft-cni, the app's GUID", () => {
  assert.deepEqual(appConfList('web', GUID), {
    cniVersion: '1.0.0',
    name: 'weft-web',
    plugins: [{ type: 'weft-cni', app: GUID }],
  });
});

test('what a runtime hands the plugin from that conflist passes the plugin’s own checks', () => {
  const list = appConfList('web', GUID) as { cniVersion: string; name: string; plugins: object[] };
  const config = JSON.stringify({ cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] });
  const q = new URLSearchParams({
    command: 'ADD',
    containerid: 'abc',
    netns: '/run/netns/x',
    ifname: 'eth0',
  });
  assert.equal(parseCniRequest(q, config).config.app, GUID);
});

test('an app name CNI cannot carry as a network name is refused', () => {
  assert.throws(() => appNetworkName('my app'), /cannot name a CNI network/);
  assert.throws(() => appNetworkName('x'.repeat(130)), /cannot name a CNI network/);
});
