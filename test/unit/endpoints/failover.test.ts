import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiUrls } from '../../../src/endpoints/api-urls.js';
import { anotherServerMayTry } from '../../../src/endpoints/failure.js';
import { ApiEndpoints } from '../../../src/endpoints/failover.js';

/** An error as undici's fetch throws it: the network's code on the cause. */
const fetchError = (code: string) =>
  new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
const wrapped = (code: string) => new Error('cannot reach', { cause: fetchError(code) });

test('a list of API URLs keeps its order, drops trailing slashes and repeats', () => {
  assert.deepEqual(parseApiUrls('https://a:9080/, https://b:9080,https://a:9080', '--api'), [
    'https://a:9080',
    'https://b:9080',
  ]);
});

test('a list with a plain http:// URL is refused: it would send tokens in the clear', () => {
  assert.throws(() => parseApiUrls('https://a:9080,http://b:9080', '--api'), /in the clear/);
  assert.throws(() => parseApiUrls(' , ', '--api'), /expected https/);
});

test('a request that never reached a server may go to another, whatever its method', () => {
  for (const code of ['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH']) {
    assert.equal(anotherServerMayTry(wrapped(code), 'POST'), true, code);
  }
});

test('a lost answer is repeated elsewhere only for a call safe to repeat', () => {
  assert.equal(anotherServerMayTry(wrapped('ECONNRESET'), 'GET'), true);
  assert.equal(anotherServerMayTry(wrapped('ECONNRESET'), 'PUT'), true);
  assert.equal(anotherServerMayTry(wrapped('ECONNRESET'), 'POST'), false);
  const timeout = new DOMException('timed out', 'TimeoutError');
  assert.equal(anotherServerMayTry(new Error('x', { cause: timeout }), 'DELETE'), true);
  assert.equal(anotherServerMayTry(new Error('x', { cause: timeout }), 'POST'), false);
});

test('an answer from a server (an HTTP error) is never retried elsewhere', () => {
  assert.equal(anotherServerMayTry(new Error('POST /x: 403 forbidden'), 'GET'), false);
});

test('calls go to the next server when one cannot be reached, and stay there', async () => {
  const servers = new ApiEndpoints(['https://a', 'https://b']);
  const tried: string[] = [];
  const attempt = (url: string) => {
    tried.push(url);
    return url === 'https://a' ? Promise.reject(wrapped('ECONNREFUSED')) : Promise.resolve(url);
  };
  const retry = (err: unknown) => anotherServerMayTry(err, 'GET');
  assert.equal(await servers.call(attempt, retry), 'https://b');
  assert.equal(await servers.call(attempt, retry), 'https://b');
  assert.deepEqual(tried, ['https://a', 'https://b', 'https://b']);
});

test('a failure another server may not take over is the caller’s at once', async () => {
  const servers = new ApiEndpoints(['https://a', 'https://b']);
  const tried: string[] = [];
  await assert.rejects(
    servers.call(
      (url) => {
        tried.push(url);
        return Promise.reject(wrapped('ECONNRESET'));
      },
      (err) => anotherServerMayTry(err, 'POST'),
    ),
    /cannot reach/,
  );
  assert.deepEqual(tried, ['https://a']);
  assert.equal(servers.current, 'https://a');
});

test('when no server answers, the error names every reason', async () => {
  const servers = new ApiEndpoints(['https://a', 'https://b']);
  await assert.rejects(
    servers.call(
      (url) => Promise.reject(new Error(`cannot reach ${url}`, { cause: fetchError('ECONNREFUSED') })),
      () => true,
    ),
    /no API server answered: cannot reach https:\/\/a; cannot reach https:\/\/b/,
  );
});

test('two calls failing on one server at once move on by one server, not two', () => {
  const servers = new ApiEndpoints(['https://a', 'https://b']);
  servers.leave('https://a');
  servers.leave('https://a');
  assert.equal(servers.current, 'https://b');
});
