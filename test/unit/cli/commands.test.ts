import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTarget } from '../../../src/cli/commands/admin.js';
import { policyRequest } from '../../../src/cli/commands/policies.js';
import { splitRoute } from '../../../src/cli/commands/push.js';

const DEFAULTS = { protocol: 'tcp', port: '8080' };

test('the policy destination can be positional (cf v7) or a flag (cf v6)', () => {
  const v7 = policyRequest('a', 'b', DEFAULTS);
  const v6 = policyRequest('a', undefined, { ...DEFAULTS, destinationApp: 'b' });
  assert.deepEqual(v7, { source: 'a', destination: 'b', protocol: 'tcp', ports: { start: 8080, end: 8080 } });
  assert.deepEqual(v6, v7);
});

test('a policy needs exactly one destination', () => {
  assert.throws(() => policyRequest('a', undefined, DEFAULTS), /name the destination app/);
  assert.throws(
    () => policyRequest('a', 'b', { ...DEFAULTS, destinationApp: 'c' }),
    /two destinations given: 'b' and --destination-app 'c'/,
  );
});

test('a destination org needs its space', () => {
  assert.throws(() => policyRequest('a', 'b', { ...DEFAULTS, org: 'o2' }), /-o ORG needs -s SPACE/);
});

test('a route splits on the longest domain that ends it', () => {
  const domains = [
    { guid: '1', name: 'internal', internal: true },
    { guid: '2', name: 'apps.internal', internal: true },
  ];
  const { host, domain } = splitRoute('app-b.apps.internal', domains);
  assert.equal(host, 'app-b');
  assert.equal(domain.guid, '2');
  assert.throws(() => splitRoute('app-b.example.com', domains), /no known domain ends it/);
  assert.throws(() => splitRoute('apps.internal', [domains[1]!]), /no known domain ends it/);
});

test('audit events name what they changed', () => {
  assert.equal(describeTarget({ target: 'app:g1', before: null, after: { name: 'app-a' } }), 'app app-a');
  assert.equal(describeTarget({ target: 'route:g2', before: { host: 'bee' }, after: null }), 'route bee');
  assert.equal(describeTarget({ target: 'policies', before: null, after: [{}, {}] }), 'policies (2)');
  assert.equal(describeTarget({ target: 'app:g1', before: null, after: null }), 'app:g1');
});
