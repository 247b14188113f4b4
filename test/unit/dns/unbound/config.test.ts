import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_DNS_LIMITS,
  renderUnboundConfig,
  type UnboundInputs,
} from '../../../../src/dns/unbound/config.js';
import { buildZone } from '../../../../src/dns/zone.js';
import { snapshot } from '../fixtures.js';

const inputs: UnboundInputs = {
  listen: ['10.250.1.1'],
  port: 53,
  clients: ['10.250.1.0/24'],
  upstream: [
    { host: '10.255.255.53', port: 53 },
    { host: 'fe80::1%eth0', port: 53 },
  ],
  zone: buildZone(snapshot()),
  limits: DEFAULT_DNS_LIMITS,
  dir: '/var/lib/weft/cell/dns',
  controlSocket: '/var/lib/weft/cell/dns/control.sock',
};

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.trim());
}

test('listens on the gateway only, in the foreground, without chroot or a change of user', () => {
  const config = lines(renderUnboundConfig(inputs));
  for (const line of [
    'interface: 10.250.1.1',
    'port: 53',
    'do-daemonize: no',
    'chroot: ""',
    'username: ""',
    'control-interface: /var/lib/weft/cell/dns/control.sock',
    'control-use-cert: no',
  ])
    assert.ok(config.includes(line), line);
  assert.equal(config.filter((line) => line.startsWith('interface:')).length, 1);
});

test('answers the cell’s subnet and refuses everyone else, loopback included', () => {
  const config = lines(renderUnboundConfig(inputs));
  const acl = config.filter((line) => line.startsWith('access-control:'));
  assert.deepEqual(acl, [
    'access-control: 0.0.0.0/0 refuse',
    'access-control: ::/0 refuse',
    'access-control: 127.0.0.0/8 refuse',
    'access-control: ::1/128 refuse',
    'access-control: 10.250.1.0/24 allow',
  ]);
});

test('every client address gets its own TCP connection limit, and the rate limit drops what is over', () => {
  const config = lines(renderUnboundConfig(inputs));
  const perSource = config.filter((line) => line.startsWith('tcp-connection-limit:'));
  assert.equal(perSource.length, 256);
  assert.ok(perSource.includes('tcp-connection-limit: 10.250.1.7/32 16'));
  assert.ok(config.includes('ip-ratelimit: 200'));
  assert.ok(config.includes('ip-ratelimit-factor: 0'));
  assert.ok(config.includes('incoming-num-tcp: 256'));
  assert.ok(config.includes('tcp-idle-timeout: 10000'));
});

test('everything else goes to the host’s resolvers; the zone is in the configuration', () => {
  const config = lines(renderUnboundConfig(inputs));
  assert.ok(config.includes('forward-addr: 10.255.255.53@53'));
  assert.ok(config.includes('forward-addr: fe80::1@53'));
  assert.ok(config.includes('local-zone: "apps.internal." static'));
  assert.ok(config.includes('local-data: "0.app-b.apps.internal. 1 IN A 10.250.1.2"'));
});

test('a rate of 0 turns the limit off', () => {
  const config = renderUnboundConfig({ ...inputs, limits: { ...DEFAULT_DNS_LIMITS, queriesPerSecond: 0 } });
  assert.doesNotMatch(config, /ip-ratelimit/);
});
