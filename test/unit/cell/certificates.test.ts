// When an instance's certificates are renewed: well before expiry, earlier for short lives, spread out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renewalDelay } from '../../../src/cell/certificates.js';

const HOUR = 3_600_000;

test('a day-long certificate is renewed 30 to 35 minutes before it expires', () => {
  const notBefore = 0;
  const notAfter = 24 * HOUR;
  assert.equal(renewalDelay(notBefore, notAfter, 0, 0), notAfter - 30 * 60_000);
  assert.equal(renewalDelay(notBefore, notAfter, 0, 1), notAfter - 35 * 60_000);
});

test('a short-lived certificate is renewed at two thirds of its life, and an overdue one at once', () => {
  assert.equal(renewalDelay(0, 30 * 60_000, 0, 0), 20 * 60_000);
  assert.equal(renewalDelay(0, HOUR, 2 * HOUR, 0.5), 0);
});
