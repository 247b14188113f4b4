import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  backendKey,
  openEntryLines,
  renderConfig,
  renderCrtList,
  type ProxyFiles,
} from '../../../src/proxy/haproxy/config.js';
import { DEFAULT_PROXY_LIMITS, DEFAULT_TLS_SETTINGS } from '../../../src/proxy/index.js';
import { proxyListeners } from '../../../src/cell/allocation.js';

const files: ProxyFiles = {
  socket: '/run/p/admin.sock',
  clientCa: '/run/p/client-ca.pem',
  mtlsMap: '/run/p/mtls.map',
  certificate: (g) => `/run/p/g${g}.pem`,
  crtList: (g) => `/run/p/g${g}.crtlist`,
  callers: (g) => `/run/p/g${g}.callers`,
};

function render(backends = new Map([[backendKey(0, 20000), { host: '10.0.0.2', port: 8080 }]])): string {
  return renderConfig({
    groups: [
      { host: '10.0.0.1', ports: [20000] },
      { host: '10.0.0.1', ports: [20001, 20002, 20003] },
    ],
    backends,
    files,
    settings: DEFAULT_TLS_SETTINGS,
    limits: DEFAULT_PROXY_LIMITS,
    logPort: 5140,
  });
}

test('each listener group binds its ports with its own crt-list', () => {
  const config = render();
  assert.match(config, /bind 10\.0\.0\.1:20000 ssl crt-list \/run\/p\/g0\.crtlist /);
  assert.match(config, /bind 10\.0\.0\.1:20001-20003 ssl crt-list \/run\/p\/g1\.crtlist /);
});

test('a listener asks every caller for a certificate unless its crt-list holds the open entry', () => {
  assert.match(render(), /crtlist ca-file \/run\/p\/client-ca\.pem verify optional /);
  const closed = renderCrtList('/run/p/g0.pem', false);
  assert.equal(closed.trim().split('\n').length, 1);
  assert.doesNotMatch(closed, /verify none/);
  const open = renderCrtList('/run/p/g0.pem', true).trim().split('\n');
  // The default entry stays first and asks; the open entry's filters are the certificate's own names.
  assert.match(open[0] ?? '', /^\/run\/p\/g0\.pem \S+\.invalid$/);
  assert.equal(open[1], '/run/p/g0.pem [verify none]');
});

test("the open entry's line numbers are read from show ssl crt-list -n, none when it is absent", () => {
  const shown = [
    '# /run/p/g0.crtlist',
    '/run/p/g0.pem:1 default.weft.invalid',
    '/run/p/g0.pem:4 [verify none]',
    '/run/p/g0.pem:7 [verify none]',
    '',
  ].join('\n');
  assert.deepEqual(openEntryLines(shown, '/run/p/g0.pem'), [4, 7]);
  assert.deepEqual(openEntryLines(shown, '/run/p/g1.pem'), []);
  assert.deepEqual(
    openEntryLines('# /run/p/g0.crtlist\n/run/p/g0.pem:1 default.weft.invalid\n', '/run/p/g0.pem'),
    [],
  );
});

test('a port in use points at its instance; one not in use at a server held in maintenance', () => {
  const config = render();
  assert.match(config, /backend b0_20000\n {2}server app 10\.0\.0\.2:8080\n/);
  assert.match(config, /backend b1_20002\n {2}server app 127\.0\.0\.1:1 disabled\n/);
});

test('an app-port group picks the backend of the port the connection came to', () => {
  assert.match(render(), /frontend g1\n[^]*use_backend b1_%\[dst_port\]/);
});

test('connections over the per-source or the proxy-wide limit are refused before the handshake', () => {
  const config = render();
  assert.match(config, /tcp-request connection reject if \{ sc0_conn_cur gt 256 \}/);
  assert.match(config, /tcp-request connection reject if \{ sc1_conn_cur gt 8192 \}/);
});

test('with mutual TLS on, a caller without a verified certificate of an admitted app is refused', () => {
  const config = render();
  assert.match(config, /acl admitted_app ssl_c_s_dn\(OU,3\) -m str -f \/run\/p\/g0\.callers/);
  assert.match(
    config,
    /tcp-request content reject if mtls !certified \|\| mtls unverified \|\| mtls !admitted_app/,
  );
});

test('TLS 1.2 offers the forward-secret AEAD suites and TLS 1.3 its own, from TLSv1.2 up', () => {
  const config = render();
  assert.match(config, /ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:/);
  assert.match(config, /ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:/);
  assert.match(config, /ssl-min-ver TLSv1\.2 ssl-max-ver TLSv1\.3/);
});

test("a cell's listeners are two per slot of its subnet: 61443's port alone, the app ports together", () => {
  const groups = proxyListeners('10.255.8.0/24', '10.255.8.1');
  assert.equal(groups.length, 512);
  assert.deepEqual(groups[0], { host: '10.255.8.1', ports: [20000] });
  assert.deepEqual(groups[1]?.ports, [20001, 20002, 20003, 20004, 20005, 20006, 20007, 20008, 20009, 20010]);
  assert.deepEqual(groups[2], { host: '10.255.8.1', ports: [20011] });
});

test('sessions resume from tickets without a session cache', () => {
  assert.match(render(), /\n {2}tune\.ssl\.cachesize 0\n/);
  assert.doesNotMatch(render(), /no-tls-tickets/);
});
