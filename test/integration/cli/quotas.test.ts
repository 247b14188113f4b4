// Space quotas with the real CLI: `weft space`, `weft quota` and `weft set-space-quota`, as an operator
// and a developer use them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { failedWith, startServer, succeeded, tempDir, weft, type Server } from './harness.js';

let server: Server;
let work: string;
let app: string;

const admin = (...args: string[]) => weft(args, { config: path.join(work, 'admin.json'), home: server.home });

function row(out: string, first: string): string[] {
  const line = out.split('\n').find((l) => l.split(/\s{2,}/)[0] === first);
  assert.ok(line !== undefined, `no row starting with ${first} in:\n${out}`);
  return line.split(/\s{2,}/);
}

before(async () => {
  server = await startServer();
  work = tempDir('weft-cli-quota-');
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  succeeded(await admin('login', '-a', server.url));
  succeeded(await admin('create-org', 'o1'));
  succeeded(await admin('create-space', 's1', '-o', 'o1'));
  succeeded(await admin('target', '-o', 'o1', '-s', 's1'));
  succeeded(
    await admin('push', 'app-a', '-p', app, '-c', 'sleep 1000', '-i', '2', '-m', '512M', '--no-start'),
  );
});

after(async () => {
  await server?.stop();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe('space quotas with the weft CLI', () => {
  test('space shows the org, the apps and each quota beside its usage', async () => {
    const out = succeeded(await admin('space', 's1'));
    assert.match(out, /^Getting info for space s1 in org o1 as admin\.\.\.\n/);
    assert.match(out, /\nname:\s+s1\norg:\s+o1\napps:\s+app-a\n/);
    assert.deepEqual(row(out, 'apps'), ['apps', '1', '100']);
    assert.deepEqual(row(out, 'instances'), ['instances', '2', '200']);
    assert.deepEqual(row(out, 'memory'), ['memory', '1G', '20G']);
    assert.deepEqual(row(out, 'routes'), ['routes', '0', '200']);
    assert.deepEqual(row(out, 'policies'), ['policies', '0', '1000']);
    assert.deepEqual(row(out, 'env per app'), ['env per app', '2', '64K']);
  });

  test('set-space-quota changes only the quotas named; quota shows the targeted space', async () => {
    const set = succeeded(
      await admin('set-space-quota', 's1', '--apps', '1', '--memory', '2G', '--env-size', '1K'),
    );
    assert.match(set, /^Setting quota of space s1 in org o1 as admin\.\.\.\nOK/);
    const out = succeeded(await admin('quota'));
    assert.match(out, /^Getting quota of org o1 \/ space s1 as admin\.\.\.\n/);
    assert.deepEqual(row(out, 'apps'), ['apps', '1', '1']);
    assert.deepEqual(row(out, 'memory'), ['memory', '1G', '2G']);
    assert.deepEqual(row(out, 'env per app'), ['env per app', '2', '1K']);
    assert.deepEqual(row(out, 'instances'), ['instances', '2', '200']);
  });

  test('a push over a quota fails with the quota, the limit and where it would go', async () => {
    failedWith(
      await admin('push', 'app-b', '-p', app, '-c', 'sleep 1000', '--no-start'),
      /apps would be 2, over its quota of 1/,
    );
    failedWith(
      await admin('scale', 'app-a', '-i', '5'),
      /memory \(MB\) would be 2560, over its quota of 2048/,
    );
  });

  test('a quota below what the space uses, a bad size or no quota at all is refused', async () => {
    failedWith(
      await admin('set-space-quota', 's1', '--apps', '0'),
      /cannot be set to 0: the space already uses 1/,
    );
    failedWith(await admin('set-space-quota', 's1', '--memory', '20X'), /memory 20X/);
    failedWith(await admin('set-space-quota', 's1', '--env-size', 'lots'), /--env-size lots/);
    failedWith(await admin('set-space-quota', 's1', '--apps', 'many'), /--apps many/);
    failedWith(await admin('set-space-quota', 's1'), /name at least one quota/);
    failedWith(await admin('space', 'nope'), /Space 'nope' not found/);
  });

  test('a space developer sees their quota but cannot change it', async () => {
    const created = succeeded(await admin('create-token', 'dev1', '--role', 'space_developer', '-s', 's1'));
    const token = /token:\s+(weft_\S+)/.exec(created)?.[1];
    assert.ok(token !== undefined, created);
    const dev = (...args: string[]) => weft(args, { config: path.join(work, 'dev.json') });
    succeeded(await dev('login', '-a', server.url, '--ca-cert', server.caFile, '--token', token));
    assert.deepEqual(row(succeeded(await dev('quota')), 'apps'), ['apps', '1', '1']);
    failedWith(await dev('set-space-quota', 's1', '--apps', '5'), /admin/);
  });
});
