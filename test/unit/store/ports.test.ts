import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPorts } from '../../../src/store/apps.js';
import { WeftError } from '../../../src/model/errors.js';

function refusal(ports: number[]): string {
  try {
    checkPorts(ports);
  } catch (err) {
    assert.ok(err instanceof WeftError);
    assert.equal(err.status, 400);
    return err.message;
  }
  return 'accepted';
}

test('an app may not declare 61443 or the proxied ports 61001-61100', () => {
  assert.match(refusal([8080, 61443]), /61443 is reserved/);
  assert.match(refusal([61001]), /61001 is reserved/);
  assert.match(refusal([61100]), /61100 is reserved/);
  assert.equal(refusal([8080, 61101, 9000]), 'accepted');
});

test('ports must be distinct, present and within 1-65535', () => {
  assert.match(refusal([]), /at least one port/);
  assert.match(refusal([0]), /not a port/);
  assert.match(refusal([65536]), /not a port/);
  assert.match(refusal([8080, 8080]), /listed twice/);
});
