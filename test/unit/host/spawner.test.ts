// run() in a daemon, where the spawner starts its commands: the same behaviour as a fork of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError, run, runToFile, spawnThroughHelper } from '../../../src/host/run.js';
import { SPAWNER_CACHE_ENV } from '../../../src/host/spawner.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-spawner-'));
// A cache of this test's own: the spawner is compiled here, by whoever runs the test.
process.env[SPAWNER_CACHE_ENV] = path.join(dir, 'cache');
before(() => spawnThroughHelper());
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('commands run in the spawner, not in this process', async () => {
  const parent = (await run(['/bin/sh', '-c', 'ps -o ppid= -p $$'])).trim();
  assert.notEqual(Number(parent), process.pid);
  const parentCommand = fs.readFileSync(`/proc/${parent}/cmdline`, 'utf8');
  assert.match(parentCommand, /weft-spawner-[0-9a-f]{16}/);
});

test('commands run in sessions of their own, with every standard signal at its default', async () => {
  const out = await run([
    '/bin/sh',
    '-c',
    'ps -o sid= -p $$; echo $$; grep -E "^Sig(Blk|Ign)" /proc/$$/status',
  ]);
  const [sid, pid, blocked, ignored] = out
    .trim()
    .split('\n')
    .map((l) => l.trim());
  assert.equal(sid, pid);
  // Signals 1-31 (the spawner ignores INT, TERM, HUP and PIPE); 32 and up are the C library's own.
  const standard = (line = '') => BigInt(`0x${line.split('\t')[1] ?? ''}`) & 0x7fffffffn;
  assert.equal(standard(blocked), 0n, out);
  assert.equal(standard(ignored), 0n, out);
});

test('megabytes of input and output pass whole, and a command that reads none of its input is answered', async () => {
  const big = 'weft '.repeat(1_000_000);
  assert.equal(await run(['cat'], big), big);
  assert.equal(await run(['/bin/sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x']), 'x'.repeat(3_000_000));
  assert.equal(await run(['/bin/sh', '-c', 'echo early'], big), 'early\n');
});

test('many commands at once each get their own answer', async () => {
  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) => run(['/bin/sh', '-c', `sleep 0.0$((${i} % 5)); echo ${i}`])),
  );
  assert.deepEqual(
    answers,
    Array.from({ length: 200 }, (_, i) => `${i}\n`),
  );
});

test('more commands than the spawner runs at once wait their turn, and all are answered', async () => {
  // Each waits until the last has been handed over, so more than the spawner's 1,024 are in flight at once.
  const gate = path.join(dir, 'gate');
  const count = 1100;
  const answers = Promise.all(
    Array.from({ length: count }, (_, i) =>
      run(['/bin/sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done; echo ${i}`]),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  fs.writeFileSync(gate, '');
  assert.deepEqual(
    await answers,
    Array.from({ length: count }, (_, i) => `${i}\n`),
  );
});

test('input goes to stdin and stdout comes back', async () => {
  assert.equal(await run(['tr', 'a-z', 'A-Z'], 'weft\n'), 'WEFT\n');
});

test('a failing command rejects with its status and stderr', async () => {
  await assert.rejects(run(['/bin/sh', '-c', 'echo nope >&2; exit 3']), (err: unknown) => {
    assert.ok(err instanceof CommandError);
    assert.equal(err.code, 3);
    assert.equal(err.stderr, 'nope\n');
    return true;
  });
});

test('a command killed by SIGTERM is run again, as without the spawner', async () => {
  const file = path.join(dir, 'runs');
  const script = `echo run >>"$1"; [ "$(wc -l <"$1")" -gt 1 ] && echo done || kill -TERM $$`;
  assert.equal(await run(['/bin/sh', '-c', script, 'sh', file]), 'done\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'run\nrun\n');
});

test('runToFile appends stdout and stderr to the file, created for root alone', async () => {
  const file = path.join(dir, 'log');
  fs.writeFileSync(file, 'before\n', { mode: 0o600 });
  await runToFile(['/bin/sh', '-c', 'echo out; echo err >&2'], file);
  assert.equal(fs.readFileSync(file, 'utf8'), 'before\nout\nerr\n');
  const fresh = path.join(dir, 'fresh');
  await runToFile(['echo', 'x'], fresh);
  assert.equal(fs.statSync(fresh).mode & 0o777, 0o600);
  await assert.rejects(runToFile(['/bin/sh', '-c', 'exit 4'], file), { code: 4 });
});

test('a program that does not exist rejects', async () => {
  await assert.rejects(run(['/nonexistent/weft-no-such-program']));
});

// Last: it ends this process's spawner.
test('once the spawner is gone, commands fork from this process again', async () => {
  const spawnerPid = Number((await run(['/bin/sh', '-c', 'ps -o ppid= -p $$'])).trim());
  process.kill(spawnerPid, 'SIGKILL');
  let parent = spawnerPid;
  // Commands sent before its exit is noticed may fail; one after it runs here.
  while (parent !== process.pid) {
    parent = await run(['/bin/sh', '-c', 'ps -o ppid= -p $$']).then(
      (out) => Number(out.trim()),
      () => spawnerPid,
    );
  }
  assert.equal(await run(['echo', 'here']), 'here\n');
});
