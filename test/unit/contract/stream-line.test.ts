// A cell believes a stream line only if it matches the contract: each change's object must be of its
// kind's shape, so a hostile or broken server cannot slip an address or a tag past the planners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamLine } from '../../../src/contract/stream.js';
import { ContractError } from '../../../src/contract/check.js';

const policy = { sourceAppGuid: 'a', destAppGuid: 'b', protocol: 'tcp', startPort: 8080, endPort: 8080 };
const change = (kind: string, object: unknown, op = 'put') =>
  JSON.stringify({ type: 'change', change: { revision: 7, kind, op, key: 'k', object } });

test('a well-formed change, heartbeat and snapshot piece are read as they are', () => {
  assert.deepEqual(parseStreamLine(change('policy', policy)), JSON.parse(change('policy', policy)));
  assert.equal(parseStreamLine(change('app', null, 'delete')).type, 'change');
  assert.equal(parseStreamLine('{"type":"heartbeat","revision":3}').type, 'heartbeat');
  const piece = { type: 'snapshot-items', kind: 'policies', items: [policy] };
  assert.deepEqual(parseStreamLine(JSON.stringify(piece)), piece);
});

test('a line whose object does not fit its kind, or that is not the contract at all, is refused', () => {
  const refused = [
    change('policy', { guid: 'o', name: 'an org' }),
    change('policy', { ...policy, startPort: 0 }),
    change('instance', {
      guid: 'i',
      appGuid: 'a',
      index: 0,
      cellId: 'c',
      state: 'RUNNING',
      ip: 'evil',
      since: '',
    }),
    change('app', {
      guid: 'a',
      name: 'x',
      spaceGuid: 's',
      command: 'c',
      packageDigest: null,
      packageSize: null,
      instances: 1,
      memoryMb: 1,
      ports: [8080],
      state: 'STARTED',
      tag: 70000,
      mtls: false,
    }),
    change('token', null, 'delete'),
    change('policy', null),
    '{"type":"snapshot-items","kind":"policies","items":[{"guid":"x"}]}',
    '{"type":"something-else"}',
    'not json',
  ];
  for (const line of refused) assert.throws(() => parseStreamLine(line), ContractError, line);
});
