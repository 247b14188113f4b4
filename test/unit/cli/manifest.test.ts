import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../../src/cli/manifest.js';

const MANIFEST = `
applications:
- name: frontend
  command: node server.js
  path: ./web
  instances: 2
  memory: 512M
  env:
    GREETING: hello
    RETRIES: 3
    VERBOSE: true
  routes:
  - route: frontend.apps.internal
  - route: www.example.com
- name: backend
  command: ./run
`;

test('a manifest gives every app with its common fields', () => {
  const [frontend, backend] = parseManifest(MANIFEST, '/srv/project');
  assert.deepEqual(frontend, {
    name: 'frontend',
    command: 'node server.js',
    path: '/srv/project/web',
    instances: 2,
    memoryMb: 512,
    env: { GREETING: 'hello', RETRIES: '3', VERBOSE: 'true' },
    routes: ['frontend.apps.internal', 'www.example.com'],
  });
  assert.deepEqual(backend, { name: 'backend', command: './run', path: '/srv/project' });
});

test('absolute paths in a manifest stay as written', () => {
  const [app] = parseManifest('applications:\n- name: a\n  path: /opt/a\n', '/srv/project');
  assert.equal(app?.path, '/opt/a');
});

test('a manifest without applications is refused', () => {
  assert.throws(() => parseManifest('name: a\n', '/'), /expected an "applications:" list/);
  assert.throws(() => parseManifest('applications: []\n', '/'), /expected an "applications:" list/);
});

test('an app without a name is refused with where it is', () => {
  assert.throws(
    () => parseManifest('applications:\n- command: x\n', '/'),
    /applications\[0\]\.name: is required/,
  );
});

test('bad values name the app and the field', () => {
  assert.throws(
    () => parseManifest('applications:\n- name: a\n  memory: lots\n', '/'),
    /manifest applications\[0\]\.memory lots: expected a size with a unit/,
  );
  assert.throws(
    () => parseManifest('applications:\n- name: a\n  instances: many\n', '/'),
    /applications\[0\]\.instances many/,
  );
  assert.throws(
    () => parseManifest('applications:\n- name: a\n  routes: [a.apps.internal]\n', '/'),
    /applications\[0\]\.routes\[0\]: expected \{route: HOST.DOMAIN\}/,
  );
  assert.throws(
    () => parseManifest('applications:\n- name: a\n  env: {NESTED: {x: 1}}\n', '/'),
    /applications\[0\]\.env\.NESTED: expected a plain value/,
  );
});

test('text that is not YAML is refused as such', () => {
  assert.throws(() => parseManifest('applications: [\n', '/'), /manifest: not valid YAML/);
});
