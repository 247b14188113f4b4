// `weft push` uploads a copy of the app's directory: the container sees that copy, read-only, and
// nothing next to it or added after the push. A cell refuses a package whose bytes do not match its
// digest, and runs nothing from it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { waitFor, WeftHost } from '../../helpers/weft-host.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const HTTP_APP = path.join(ROOT, 'examples', 'http-app');

describe('app packages on a cell', () => {
  let host: WeftHost;
  let appDir: string;

  before(async () => {
    host = await WeftHost.start();
    // The app directory, with a secret planted next to it and one it asks to leave out.
    const parent = path.join(host.work, 'project');
    appDir = path.join(parent, 'app');
    fs.mkdirSync(appDir, { recursive: true });
    fs.cpSync(HTTP_APP, appDir, { recursive: true });
    fs.writeFileSync(path.join(parent, 'secret.txt'), 'next to the app');
    fs.writeFileSync(path.join(appDir, 'private.txt'), 'left out');
    fs.writeFileSync(path.join(appDir, '.cfignore'), 'private.txt\n');
  });

  after(async () => {
    await host?.shutdown();
  });

  const inside = async (cmd: string) => (await host.ssh('bits', cmd)).stdout.trim();

  test('the container sees a read-only copy of the pushed files, never the host directory', async () => {
    const out = await host.cliOk('push', 'bits', '-p', appDir, '-c', 'node server.js', '-i', '1');
    assert.match(out, /Packaging files to upload\.\.\./);
    assert.match(out, /Uploading files \(\d+ files, [\d.]+[BKM]\)\.\.\./);
    assert.match(out, /package:\s+sha256:[0-9a-f]{64} \(/);
    await host.waitRunning('bits', 1);
    fs.writeFileSync(path.join(appDir, 'late.txt'), 'after the push');
    assert.equal(await inside('ls -A /home/vcap/app | sort | tr "\\n" " "'), 'package.json server.js');
    assert.equal(await inside('test -e /home/vcap/secret.txt && echo present || echo absent'), 'absent');
    const write = await host.ssh('bits', 'echo x > /home/vcap/app/server.js');
    assert.notEqual(write.code, 0, 'the app cannot write its own files');
    const digest = (await host.app('bits')).packageDigest ?? '';
    const cached = path.join(host.home, 'cell', 'packages', digest);
    assert.deepEqual(fs.readdirSync(cached).sort(), ['package.json', 'server.js']);
    assert.equal(fs.statSync(path.join(cached, 'server.js')).uid, 0);
  });

  test('weft app shows the stack the cell runs the instance on, as its cell reported it', async () => {
    const [instance] = await host.waitRunning('bits', 1);
    assert.match(instance?.stack ?? '', /^weftlinux-bookworm \d{4}\.\d{2}\.\d{2}-[0-9a-f]{8}$/);
    const shown = await host.cliOk('app', 'bits');
    assert.match(shown, new RegExp(`^stack:\\s+${instance?.stack ?? 'missing'}$`, 'm'));
  });

  test('pushing the same bits again keeps the instance; new bits replace it', async () => {
    fs.rmSync(path.join(appDir, 'late.txt'));
    const [first] = await host.waitRunning('bits', 1);
    const same = await host.cliOk('push', 'bits', '-p', appDir);
    assert.match(same, /already has these files; nothing to upload/);
    const [kept] = await host.waitRunning('bits', 1);
    assert.equal(kept?.guid, first?.guid);
    fs.writeFileSync(path.join(appDir, 'late.txt'), 'new bits');
    await host.cliOk('push', 'bits', '-p', appDir);
    const [replaced] = await waitFor(
      'a new instance',
      async () => {
        const list = await host.waitRunning('bits', 1);
        return list[0]?.guid !== first?.guid ? list : undefined;
      },
      120_000,
    );
    assert.ok(replaced);
    assert.equal(await inside('cat /home/vcap/app/late.txt'), 'new bits');
  });

  test('a package whose stored bytes no longer match its digest is refused by the cell', async () => {
    const work = path.join(host.work, 'tampered');
    fs.cpSync(HTTP_APP, work, { recursive: true });
    fs.writeFileSync(path.join(work, 'marker.txt'), 'tampered');
    await host.cliOk('push', 'victim', '-p', work, '-c', 'node server.js', '--no-start');
    const app = await host.app('victim');
    const digest = app.packageDigest ?? '';
    const db = new SQLite(path.join(host.home, 'weft.db'));
    try {
      db.pragma('busy_timeout = 5000');
      const row = db.prepare('select data from package_chunks where owner = ? and seq = 0').get(digest) as {
        data: Buffer;
      };
      const data = Buffer.from(row.data);
      data[data.length - 10] = (data[data.length - 10] ?? 0) ^ 0xff;
      db.prepare('update package_chunks set data = ? where owner = ? and seq = 0').run(data, digest);
    } finally {
      db.close();
    }
    await host.cliOk('start', 'victim');
    const log = path.join(host.home, 'cell', 'logs', app.guid, '0.log');
    await waitFor(
      'the cell to refuse the package',
      () => (fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('refused') ? true : undefined),
      60_000,
    );
    assert.match(fs.readFileSync(log, 'utf8'), /hash to [0-9a-f]{64}; refused/);
    assert.equal(fs.existsSync(path.join(host.home, 'cell', 'packages', digest)), false);
    const states = (await host.instances('victim')).map((i) => i.state);
    assert.ok(!states.includes('RUNNING'), states.join(','));
  });

  test('a cell stopped with --cleanup removes its package cache', async () => {
    const cache = path.join(host.home, 'cell', 'packages');
    assert.ok(fs.existsSync(cache));
    assert.deepEqual(await host.stop(), { exitedOnSigterm: true });
    assert.equal(fs.existsSync(cache), false);
  });
});
