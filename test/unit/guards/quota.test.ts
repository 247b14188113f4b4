// The quota guard's pure rules: which quota a usage exceeds, which a lowering would break, and what a
// write touched that must be read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_QUOTA, loweringProblem, quotaProblem, touched } from '../../../src/guards/quota.js';

test('a usage within every quota is no problem; counts the write did not touch are not judged', () => {
  assert.equal(quotaProblem('dev', DEFAULT_QUOTA, { ...DEFAULT_QUOTA }), null);
  assert.equal(quotaProblem('dev', DEFAULT_QUOTA, { policies: DEFAULT_QUOTA.policies }), null);
});

test('the first quota exceeded is named with its limit and where the write would take it', () => {
  const problem = quotaProblem('dev', DEFAULT_QUOTA, { apps: 1, policies: DEFAULT_QUOTA.policies + 1 });
  assert.match(problem ?? '', /space dev: policies would be 1001, over its quota of 1000/);
  assert.match(
    quotaProblem('dev', { ...DEFAULT_QUOTA, envBytes: 10 }, { envBytes: 11 }) ?? '',
    /env per app/,
  );
});

test('a quota cannot be lowered below what the space holds', () => {
  const usage = { ...DEFAULT_QUOTA, apps: 5 };
  assert.equal(loweringProblem('dev', { ...DEFAULT_QUOTA, apps: 5 }, usage), null);
  assert.match(loweringProblem('dev', { ...DEFAULT_QUOTA, apps: 4 }, usage) ?? '', /apps quota of space dev/);
});

test('a write touched the spaces of the apps it put, the routes it put and its policies’ sources', () => {
  const app = { guid: 'a1', spaceGuid: 's1' };
  const t = touched([
    { kind: 'app', op: 'put', key: 'a1', object: app as never },
    { kind: 'app', op: 'delete', key: 'a2', object: null },
    { kind: 'route', op: 'put', key: 'r1', object: { guid: 'r1' } as never },
    { kind: 'policy', op: 'put', key: 'p', object: { sourceAppGuid: 'a9' } as never },
    { kind: 'token', op: 'delete', key: 't', object: null },
  ]);
  assert.deepEqual([...t.appsBySpace], [['s1', ['a1']]]);
  assert.deepEqual(t.routeGuids, ['r1']);
  assert.deepEqual(t.sourceAppGuids, ['a9']);
});
