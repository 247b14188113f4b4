// The compiled plugin runs as root under every runtime: a cache anyone but root could write to is refused,
// so a planted binary is never the one handed out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLUGIN_CACHE_ENV, PLUGIN_SOURCE } from '../../../src/network/cni/plugin-binary.js';

const MODULE = path.resolve(import.meta.dirname, '../../../src/network/cni/plugin-binary.ts');

/** cniPlugin() in a process of its own (it remembers its answer), with the cache at `dir`. */
function pluginIn(dir: string): Promise<{ ok: boolean; out: string }> {
  const code = `import(${JSON.stringify(MODULE)}).then((m) => m.cniPlugin()).then((p) => console.log(p), (e) => { console.log(String(e)); process.exit(1); })`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '-e', code],
      { env: { ...process.env, [PLUGIN_CACHE_ENV]: dir } },
      (err, stdout) => resolve({ ok: err === null, out: stdout.trim() }),
    );
  });
}

test('a planted plugin in a cache others may write to is refused, and a root-only cache compiles its own', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cni-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hash = createHash('sha256').update(readFileSync(PLUGIN_SOURCE)).digest('hex').slice(0, 16);
  const planted = path.join(dir, `weft-cni-${hash}`);
  writeFileSync(planted, '#!/bin/sh\necho planted\n', { mode: 0o777 });
  chmodSync(planted, 0o777);

  chmodSync(dir, 0o777);
  const openDir = await pluginIn(dir);
  assert.equal(openDir.ok, false, openDir.out);
  assert.match(openDir.out, /not this user's alone/);

  chmodSync(dir, 0o755);
  const openFile = await pluginIn(dir);
  assert.equal(openFile.ok, false, openFile.out);
  assert.match(openFile.out, /not this user's alone/);

  rmSync(planted);
  const own = await pluginIn(dir);
  assert.equal(own.ok, true, own.out);
  assert.equal(own.out, planted);
  assert.doesNotMatch(readFileSync(planted, 'latin1').slice(0, 4), /#!/);
});
