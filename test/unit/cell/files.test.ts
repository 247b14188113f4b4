// The cell's files are read through one checked reader: a missing, torn or foreign file reads as
// absent, never as state the cell would act on.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CellFiles } from '../../../src/cell/files.js';
import { CellPaths } from '../../../src/cell/paths.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cell-files-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const paths = new CellPaths(dir);
const files = new CellFiles(paths);

const local = {
  guid: 'i1',
  appGuid: 'a1',
  index: 0,
  ip: '10.99.1.2',
  hostIface: 'weft1234',
  netns: 'weft-i1',
  uid: 20001,
  proxyPorts: [{ port: 61443, proxyPort: 40001, backendPort: 8080 }],
};

test('an instance file written is read back whole, and a file of another shape reads as absent', async () => {
  const file = paths.instanceState(local.guid);
  await files.writeInstance(local, 4242, { GREETING: 'hi' });
  const expected = { ...local, pid: 4242, env: { GREETING: 'hi' } };
  assert.deepEqual(await files.readInstance(local.guid), expected);
  assert.deepEqual(await files.instanceGuids(), [local.guid]);
  for (const text of [
    '{"pid": 1',
    JSON.stringify({ ...expected, pid: 'x' }),
    JSON.stringify({ ...expected, ip: 'x' }),
  ]) {
    fs.writeFileSync(file, text);
    assert.equal(await files.readInstance(local.guid), null, text);
  }
  assert.equal(await files.readInstance('missing'), null);
  await files.removeInstance(local.guid);
  assert.deepEqual(await files.instanceGuids(), []);
});

test('a saved world is read back whole, and one with a record out of shape reads as absent', async () => {
  const file = paths.lastWorld;
  const snapshot = {
    revision: 3,
    overlayCidr: '10.99.0.0/16',
    orgs: [],
    spaces: [],
    apps: [],
    domains: [],
    routes: [],
    policies: [{ sourceAppGuid: 'a', destAppGuid: 'b', protocol: 'tcp' as const, startPort: 1, endPort: 2 }],
    instances: [],
    cells: [{ id: 'c1', hostIp: '192.0.2.1', subnet: '10.99.1.0/24' }],
  };
  const saved = { cell: { id: 'c1', hostIp: '192.0.2.1', subnet: '10.99.1.0/24' }, caPem: 'PEM', snapshot };
  await files.saveWorld(saved);
  assert.deepEqual(await files.readWorld(), saved);
  const foreign = {
    ...saved,
    snapshot: { ...snapshot, cells: [{ id: 'c1', hostIp: '8.8.8.8.8', subnet: 'x' }] },
  };
  fs.writeFileSync(file, JSON.stringify(foreign));
  assert.equal(await files.readWorld(), null);
  fs.writeFileSync(file, '{"cell":');
  assert.equal(await files.readWorld(), null);
});
