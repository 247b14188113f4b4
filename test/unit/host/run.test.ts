import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError, run } from '../../../src/host/run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-run-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Dies of `signal` on its first run and succeeds on the next, counting its runs in `file`.
function killedOnce(file: string, signal: string): string[] {
  const script = `echo run >>"$1"; [ "$(wc -l <"$1")" -gt 1 ] && echo done || kill -${signal} $$`;
  return ['/bin/sh', '-c', script, 'sh', file];
}

test('a command killed by SIGINT or SIGTERM, as a stop of weft’s process group would, is run again', async () => {
  for (const signal of ['INT', 'TERM']) {
    const file = path.join(dir, signal);
    assert.equal(await run(killedOnce(file, signal)), 'done\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'run\nrun\n');
  }
});

test('a command that fails or is killed by another signal is not run again', async () => {
  const file = path.join(dir, 'KILL');
  await assert.rejects(run(killedOnce(file, 'KILL')), (err: unknown) => {
    assert.ok(err instanceof CommandError);
    assert.equal(err.signal, 'SIGKILL');
    return true;
  });
  await assert.rejects(run(['/bin/sh', '-c', 'echo run >>"$1"; exit 3', 'sh', file]), { code: 3 });
  assert.equal(fs.readFileSync(file, 'utf8'), 'run\nrun\n');
});

test('a command killed by SIGINT every time fails in the end, saying so', async () => {
  await assert.rejects(run(['/bin/sh', '-c', 'kill -INT $$']), {
    signal: 'SIGINT',
    message: /killed by SIGINT/,
  });
});
