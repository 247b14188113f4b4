// The README's main command: `npm run demo` walks the seed scenario and checks every step's outcome.
// Run here so that a change which breaks the walkthrough fails the tests, not a user's first try.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { freePort } from '../../helpers/ports.js';
import { run } from '../../helpers/weft-host.js';

const root = path.resolve(import.meta.dirname, '../../..');

test('the seed walkthrough runs to its end', async () => {
  const port = await freePort();
  const r = await run('bash', [path.join(root, 'scripts/demo')], {
    env: { ...process.env, WEFT_DEMO_PORT: String(port) },
  });
  assert.equal(r.code, 0, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  assert.match(r.stdout, /app-b's process is the same one, no restart/);
  assert.match(r.stdout, /Done: stopping weft/);
});
