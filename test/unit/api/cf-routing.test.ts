import { test } from 'node:test';
import assert from 'node:assert/strict';
import { earlyAnswer } from '../../../src/api/cf-routing.js';

test('a preflight on a Cloud Foundry path lists its methods and allows no origin', () => {
  assert.deepEqual(earlyAnswer('OPTIONS', '/networking/v1/external/policies'), {
    status: 200,
    headers: {
      'access-control-allow-methods': 'GET,POST,OPTIONS',
      'access-control-allow-headers': 'authorization',
    },
  });
  assert.equal(
    earlyAnswer('OPTIONS', '/networking/v9/external/policies/delete')?.headers[
      'access-control-allow-methods'
    ],
    'POST,OPTIONS',
  );
});

test('a method the path does not take is a 405 naming the ones it does, whatever the version', () => {
  for (const url of [
    '/networking/v1/external/policies/delete',
    '/networking/v7/external/policies/delete?x=1',
  ]) {
    const answer = earlyAnswer('GET', url);
    assert.equal(answer?.status, 405);
    assert.deepEqual(answer.headers, { allow: 'POST' });
    assert.match(
      answer.error ?? '',
      /^Method Not Allowed; GET \/networking\/v\d\/external\/policies\/delete: this path takes POST$/,
    );
  }
  assert.equal(earlyAnswer('PUT', '/networking/v1/external/policies')?.headers.allow, 'GET, POST');
  assert.equal(earlyAnswer('HEAD', '/networking/v1/external/tags'), null);
});

test('an API version other than v0 and v1 is a 406 in Cloud Foundry’s words', () => {
  const answer = earlyAnswer('GET', '/networking/v2/external/policies?id=x');
  assert.equal(answer?.status, 406);
  assert.match(answer.error ?? '', /^api version 'v2' not supported; /);
});

test('what a handler answers, and paths outside Cloud Foundry’s, get no early answer', () => {
  for (const [method, url] of [
    ['GET', '/networking/v1/external/policies'],
    ['POST', '/networking/v0/external/policies/cleanup'],
    ['GET', '/networking/v1/external/whoami'],
    ['GET', '/networking/v1/external/nothing'],
    ['PUT', '/v1/apps'],
    ['OPTIONS', '/v1/apps'],
  ] as const) {
    assert.equal(earlyAnswer(method, url), null, `${method} ${url}`);
  }
});
