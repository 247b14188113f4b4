import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCellToken } from '../../../src/daemon/cell-token.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cell-token-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, mode: number): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text, { mode });
  fs.chmodSync(p, mode);
  return p;
}

test('a private token file is read, without its line break', () => {
  assert.equal(readCellToken(file('ok', 'weft_abc\n', 0o600), {}), 'weft_abc');
  assert.equal(readCellToken(file('owner-read', 'weft_abc', 0o400), {}), 'weft_abc');
});

test('a token file the group or others may read is refused, naming the file and the fix', () => {
  for (const mode of [0o640, 0o604, 0o644]) {
    const p = file(`open-${mode.toString(8)}`, 'weft_abc\n', mode);
    assert.throws(() => readCellToken(p, {}), new RegExp(`${p} is readable by others.*chmod 600`));
  }
});

test('an empty or missing token file is refused', () => {
  assert.throws(() => readCellToken(file('empty', '\n', 0o600), {}), /is empty/);
  assert.throws(() => readCellToken(path.join(dir, 'absent'), {}), /--token-file .*absent/);
});

test('without a file, WEFT_TOKEN is the token; without either, both ways are named', () => {
  assert.equal(readCellToken(undefined, { WEFT_TOKEN: ' weft_env \n' }), 'weft_env');
  assert.throws(() => readCellToken(undefined, {}), /--token-file FILE.*WEFT_TOKEN/);
});
