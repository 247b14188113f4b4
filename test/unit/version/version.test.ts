import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBuildInfo, versionLine } from '../../../src/version/version.js';

test('a build names its version, commit and build time', () => {
  const info = parseBuildInfo({ version: '1.2.3', commit: 'abc123', built: '2026-01-01T00:00:00Z' });
  assert.equal(versionLine(info), 'weft 1.2.3 (commit abc123, built 2026-01-01T00:00:00Z)');
});

test('a build made outside git says its commit is unknown', () => {
  const info = parseBuildInfo({ version: '1.2.3', commit: null, built: '2026-01-01T00:00:00Z' });
  assert.equal(versionLine(info), 'weft 1.2.3 (commit unknown, built 2026-01-01T00:00:00Z)');
});

test('code run from source says so instead of a commit', () => {
  assert.equal(versionLine({ version: '1.2.3', commit: null, built: null }), 'weft 1.2.3 (from source)');
});

test('a stamp without a usable version reads as unknown rather than failing', () => {
  assert.equal(parseBuildInfo({ version: 7 }).version, 'unknown');
  assert.equal(parseBuildInfo(null).version, 'unknown');
});
