// bin/weft runs the build in dist/ while it is current, and the sources as soon as one is newer: a stale
// build never runs code that differs from src/. Checked on a copy of the tree, whose files the test may age.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { run } from '../../helpers/weft-host.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-launcher-'));
const weft = path.join(tree, 'bin/weft');

function age(file: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  fs.utimesSync(file, t, t);
}

before(() => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/build-info.json')), 'no build in dist/: npm run build');
  for (const part of ['bin', 'src', 'dist', 'package.json']) {
    fs.cpSync(path.join(ROOT, part), path.join(tree, part), { recursive: true, preserveTimestamps: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
});
after(() => fs.rmSync(tree, { recursive: true, force: true }));

test('a build at least as new as every source runs compiled, with its version and commit', async () => {
  const stamp = JSON.parse(fs.readFileSync(path.join(tree, 'dist/build-info.json'), 'utf8')) as {
    commit: string;
  };
  for (const f of fs.readdirSync(path.join(tree, 'src'), { recursive: true, encoding: 'utf8' })) {
    age(path.join(tree, 'src', f), 3600);
  }
  age(path.join(tree, 'src'), 3600);
  const r = await run(weft, ['--version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^weft \\S+ \\(commit ${stamp.commit}, built `));
  assert.equal(r.stderr, '');
});

test('one source newer than the build runs the sources instead, quietly when stderr is no terminal', async () => {
  fs.utimesSync(path.join(tree, 'src/cli/output.ts'), new Date(), new Date());
  const r = await run(weft, ['version']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^weft \S+ \(from source\)$/m);
  assert.equal(r.stderr, '');
});
