// The console's file handler: only the built files by exact name, the strict headers on each, and a
// plain answer (not a failed start) when the console was never built.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { consoleRoutes } from '../../../src/console/routes.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-console-unit-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function builtConsole(): string {
  const dir = path.join(root, 'dist');
  fs.mkdirSync(path.join(dir, 'nested'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>weft</title>');
  fs.writeFileSync(path.join(dir, 'app.js'), 'export {};');
  fs.writeFileSync(path.join(dir, 'app.js.map'), '{}');
  fs.writeFileSync(path.join(dir, 'nested', 'x.js'), 'NESTED-CONTENT');
  fs.writeFileSync(path.join(root, 'secret.js'), 'SECRET-CONTENT');
  return dir;
}

async function server(dir: string) {
  const warnings: string[] = [];
  const app = Fastify({
    logger: { level: 'warn', stream: { write: (line: string) => warnings.push(line) } },
  });
  consoleRoutes(app, dir);
  await app.ready();
  return { app, warnings };
}

test('a built console is served from /console/ with a strict CSP, nosniff and no framing', async () => {
  const { app } = await server(builtConsole());
  const page = await app.inject('/console/');
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /<title>weft/);
  const csp = page.headers['content-security-policy'] as string;
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const script = await app.inject('/console/app.js');
  assert.equal(script.statusCode, 200);
  assert.match(script.headers['content-type'] as string, /^text\/javascript/);
  const bare = await app.inject('/console');
  assert.equal(bare.statusCode, 302);
  assert.equal(bare.headers.location, '/console/');
  await app.close();
});

test('nothing but the listed files answers: no dots, encodings, absolute paths, folders or other types', async () => {
  const { app } = await server(builtConsole());
  for (const url of [
    '/console/../secret.js',
    '/console/%2e%2e/secret.js',
    '/console/..%2fsecret.js',
    '/console/%2fetc%2fpasswd',
    '/console//etc/passwd',
    '/console/nested/x.js',
    '/console/nested',
    '/console/app.js.map',
    '/console/APP.JS',
    '/console/app.js%00',
  ]) {
    const r = await app.inject(url);
    assert.ok(r.statusCode === 404 || r.statusCode === 400, `${url}: ${r.statusCode}`);
    assert.doesNotMatch(r.body, /SECRET-CONTENT|NESTED-CONTENT|root:/, url);
  }
  await app.close();
});

test('an unbuilt console is a 503 that says how to build it, logged once, and the server still starts', async () => {
  const { app, warnings } = await server(path.join(root, 'never-built'));
  for (const url of ['/console/', '/console/app.js']) {
    const r = await app.inject(url);
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build:console/);
    assert.ok(r.headers['content-security-policy']);
  }
  assert.equal(warnings.filter((w) => /console is not built/.test(w)).length, 1);
  await app.close();
});
