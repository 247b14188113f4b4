import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mmdebstrapArgs, recipeHash, stackDirName, stackVersion } from '../../../src/runtime/stack/recipe.js';

test('the stack is named by its recipe and versioned by build date and recipe', () => {
  assert.match(recipeHash(), /^[0-9a-f]{8}$/);
  assert.equal(stackDirName(), `weftlinux-bookworm-${recipeHash()}`);
  assert.equal(stackVersion(new Date('2026-11-27T21:00:00Z')), `2026.11.27-${recipeHash()}`);
});

test('mmdebstrap builds a minbase bookworm with the packages apps and `weft ssh` need', () => {
  const args = mmdebstrapArgs('/tmp/x/rootfs');
  assert.ok(args.includes('--variant=minbase'));
  const include =
    args
      .find((a) => a.startsWith('--include='))
      ?.split('=')[1]
      ?.split(',') ?? [];
  for (const p of ['ca-certificates', 'curl', 'openssl', 'python3', 'nodejs', 'dnsutils', 'util-linux']) {
    assert.ok(include.includes(p), p);
  }
  const target = args.indexOf('/tmp/x/rootfs');
  assert.equal(args[target - 1], 'bookworm');
  assert.ok(args.slice(target + 1).every((s) => s.startsWith('deb http://deb.debian.org/')));
});
