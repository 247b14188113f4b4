// Each instance's slot in the cell's subnet gives it its own address, uid, names and proxy ports, and no
// two instances' proxy ports overlap, whatever number of ports their apps declare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocateLocal,
  FIRST_PROXY_PORT,
  proxiedPorts,
  proxyPortSpan,
} from '../../../src/cell/allocation.js';
import { C2C_TLS_PORT, MAX_APP_PORTS } from '../../../src/model/ports.js';
import { ALLOCATOR, app, instance } from './world-fixture.js';

const widest = app('wide', 1, {
  ports: [8080, ...Array.from({ length: MAX_APP_PORTS - 1 }, (_, i) => 9000 + i)],
});

test('neighbouring instances of apps with the most ports allowed never share a proxy port', () => {
  const used = new Set<string>();
  const taken = new Set<number>();
  for (let n = 0; n < 253; n++) {
    const local = allocateLocal(ALLOCATOR, instance(`i-${n}`, 'wide'), widest, used);
    used.add(local.ip);
    assert.equal(local.proxyPorts.length, MAX_APP_PORTS + 1);
    for (const p of local.proxyPorts) {
      assert.ok(!taken.has(p.proxyPort), `proxy port ${p.proxyPort} given twice`);
      taken.add(p.proxyPort);
    }
  }
});

test('proxy ports stay below the ephemeral range for a whole /24', () => {
  const span = proxyPortSpan(ALLOCATOR.subnet);
  assert.equal(span.first, FIRST_PROXY_PORT);
  assert.ok(span.last < 32_768, `last proxy port ${span.last} is in Linux's default ephemeral range`);
});

test('an instance takes the lowest free address, never the gateway, with a uid and names of its own', () => {
  const a = allocateLocal(ALLOCATOR, instance('aaaaaaaa-1111', 'app'), app('app', 1), new Set());
  const b = allocateLocal(ALLOCATOR, instance('bbbbbbbb-2222', 'app'), app('app', 1), new Set([a.ip]));
  assert.equal(a.ip, '10.99.1.2');
  assert.equal(b.ip, '10.99.1.3');
  assert.notEqual(a.uid, b.uid);
  assert.equal(a.hostIface, 'wtcaaaaaaaa');
  assert.equal(a.netns, 'weft-aaaaaaaa');
  assert.notEqual(a.hostIface, b.hostIface);
});

test('61443 is served only for apps on 8080, and each app port gets its 61001+i listener', () => {
  assert.deepEqual(proxiedPorts(app('x', 1, { ports: [9000, 9001] }), 100), [
    { port: 61001, proxyPort: 101, backendPort: 9000 },
    { port: 61002, proxyPort: 102, backendPort: 9001 },
  ]);
  assert.equal(proxiedPorts(app('y', 1), 100)[0]?.port, C2C_TLS_PORT);
  const tooMany = app('z', 1, { ports: Array.from({ length: MAX_APP_PORTS + 1 }, (_, i) => 9000 + i) });
  assert.throws(() => proxiedPorts(tooMany, 100), /at most/);
});
