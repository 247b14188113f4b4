import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTarget } from '../../../src/cli/commands/admin.js';
import { policyRequest } from '../../../src/cli/commands/policies.js';
import { splitRoute } from '../../../src/cli/commands/push.js';

const ADD = 'add-network-policy';
const REMOVE = 'remove-network-policy';
const TCP_8080 = { protocol: 'tcp', port: '8080' };

test('the policy destination can be positional (cf v7) or a flag (cf v6)', () => {
  const v7 = policyRequest(ADD, 'a', 'b', TCP_8080);
  const v6 = policyRequest(ADD, 'a', undefined, { ...TCP_8080, destinationApp: 'b' });
  assert.deepEqual(v7, { source: 'a', destination: 'b', protocol: 'tcp', ports: { start: 8080, end: 8080 } });
  assert.deepEqual(v6, v7);
});

test('a policy needs exactly one destination', () => {
  assert.throws(() => policyRequest(ADD, 'a', undefined, {}), {
    message: /^Incorrect Usage: the required argument `DESTINATION_APP` was not provided/,
  });
  assert.throws(() => policyRequest(ADD, 'a', 'b', { destinationApp: 'c' }), {
    message: /^Incorrect Usage: two destinations given: 'b' and --destination-app 'c'/,
  });
});

test('a destination org needs its space, in the cf CLI’s words', () => {
  assert.throws(() => policyRequest(ADD, 'a', 'b', { org: 'o2' }), {
    message:
      "Incorrect Usage: A space must be provided when an org is provided, but the '-s' flag was not specified.",
  });
});

test('add takes --protocol and --port together, or neither for tcp 8080', () => {
  assert.deepEqual(policyRequest(ADD, 'a', 'b', {}).ports, { start: 8080, end: 8080 });
  assert.equal(policyRequest(ADD, 'a', 'b', {}).protocol, 'tcp');
  for (const one of [{ port: '9000' }, { protocol: 'udp' }]) {
    assert.throws(() => policyRequest(ADD, 'a', 'b', one), {
      message: 'Incorrect Usage: --protocol and --port flags must be specified together',
    });
  }
});

test('remove needs both --protocol and --port, so it never removes a policy nobody named', () => {
  assert.throws(() => policyRequest(REMOVE, 'a', 'b', {}), {
    message: "Incorrect Usage: the required flags `--port' and `--protocol' were not specified",
  });
  assert.throws(() => policyRequest(REMOVE, 'a', 'b', { port: '8080' }), {
    message: "Incorrect Usage: the required flag `--protocol' was not specified",
  });
  assert.throws(() => policyRequest(REMOVE, 'a', 'b', { protocol: 'tcp' }), {
    message: "Incorrect Usage: the required flag `--port' was not specified",
  });
  assert.equal(policyRequest(REMOVE, 'a', 'b', { protocol: 'UDP', port: '53' }).protocol, 'udp');
});

test('a flag’s value is checked before the flags are checked together, as cf parses them first', () => {
  assert.throws(() => policyRequest(ADD, 'a', 'b', { port: 'http' }), {
    message: /^Incorrect Usage: PORT must be a positive integer/,
  });
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
