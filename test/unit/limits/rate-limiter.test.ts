import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceRateLimiter, type RateLimit } from '../../../src/limits/rate-limiter.js';

/** A limiter on a clock the test moves by hand, in milliseconds. */
function limiter(limit: RateLimit): { limiter: SourceRateLimiter; advance: (ms: number) => void } {
  let now = 1_000;
  return { limiter: new SourceRateLimiter(limit, () => now), advance: (ms) => (now += ms) };
}

function allowedOf(l: SourceRateLimiter, source: string, tries: number): number {
  let allowed = 0;
  for (let i = 0; i < tries; i++) if (l.allow(source)) allowed++;
  return allowed;
}

test('a new source may send its burst at once and nothing more', () => {
  const { limiter: l } = limiter({ perSecond: 10, burst: 25, maxSources: 8 });
  assert.equal(allowedOf(l, '10.0.0.2', 100), 25);
});

test('an exhausted source gets tokens back at its rate', () => {
  const { limiter: l, advance } = limiter({ perSecond: 10, burst: 25, maxSources: 8 });
  allowedOf(l, '10.0.0.2', 25);
  advance(500);
  assert.equal(allowedOf(l, '10.0.0.2', 100), 5);
  advance(100);
  assert.equal(allowedOf(l, '10.0.0.2', 100), 1);
});

test('a source idle for long holds no more than its burst', () => {
  const { limiter: l, advance } = limiter({ perSecond: 10, burst: 25, maxSources: 8 });
  allowedOf(l, '10.0.0.2', 1);
  advance(3_600_000);
  assert.equal(allowedOf(l, '10.0.0.2', 100), 25);
});

test('a source held at a steady rate is allowed exactly that rate', () => {
  const { limiter: l, advance } = limiter({ perSecond: 100, burst: 1, maxSources: 8 });
  let allowed = 0;
  for (let ms = 0; ms < 1_000; ms++) {
    advance(1);
    allowed += allowedOf(l, '10.0.0.2', 5);
  }
  assert.equal(allowed, 100);
});

test('one source spending its tokens leaves another source’s untouched', () => {
  const { limiter: l } = limiter({ perSecond: 10, burst: 25, maxSources: 8 });
  allowedOf(l, '10.0.0.2', 1_000);
  assert.equal(allowedOf(l, '10.0.0.3', 25), 25);
});

test('the table of sources never holds more than its bound', () => {
  const { limiter: l } = limiter({ perSecond: 10, burst: 25, maxSources: 8 });
  for (let i = 0; i < 1_000; i++) l.allow(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(l.sources, 8);
});

test('the source seen least recently is the one forgotten, and comes back with a full bucket', () => {
  const { limiter: l } = limiter({ perSecond: 1, burst: 3, maxSources: 2 });
  allowedOf(l, 'old', 3);
  allowedOf(l, 'busy', 3);
  l.allow('old');
  // 'busy' is now the least recently seen: a third source pushes it out, not 'old'.
  l.allow('new');
  assert.equal(l.allow('old'), false);
  assert.equal(allowedOf(l, 'busy', 10), 3);
});
