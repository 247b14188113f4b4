import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcOutside, type OutsideSide } from '../../../src/cell/cni-outside.js';
import type { LocalInstance } from '../../../src/cell/local.js';

const APP = '11111111-2222-4333-8444-555555555555';
const OTHER = '99999999-2222-4333-8444-555555555555';

function local(guid: string, appGuid: string, containerId?: string): LocalInstance {
  return {
    guid,
    appGuid,
    index: 10_000,
    ip: '10.0.0.5',
    hostIface: `w${guid}`,
    netns: `weft-${guid}`,
    uid: 40_005,
    proxyPorts: [],
    ...(containerId
      ? { outside: { containerId, netnsPath: `/run/netns/${containerId}`, ifname: 'eth0' } }
      : {}),
  };
}

test("GC stops the app's outside containers the runtime no longer lists, and nothing else", async () => {
  const stopped: string[] = [];
  const locals = [
    local('kept', APP, 'c-kept'),
    local('stale', APP, 'c-stale'),
    local('other-app', OTHER, 'c-other'),
    local('own', APP),
  ];
  const side = {
    instances: { locals: () => locals, stop: (g: string) => Promise.resolve(void stopped.push(g)) },
  } as unknown as OutsideSide;
  await gcOutside(side, APP, [{ containerId: 'c-kept', ifname: 'eth0' }]);
  assert.deepEqual(stopped, ['stale']);
  await gcOutside(side, APP, [{ containerId: 'c-kept', ifname: 'eth1' }]);
  assert.deepEqual(stopped, ['stale', 'kept', 'stale']);
});
