import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnforcerInputError, validateDesired } from '../../../src/enforcer/desired.js';
import type { EnforcerDesired } from '../../../src/enforcer/desired.js';
import { sampleDesired } from './fixture.js';

function rejects(overrides: Partial<EnforcerDesired>, message: RegExp): void {
  assert.throws(
    () => validateDesired(sampleDesired(overrides)),
    (err: unknown) => err instanceof EnforcerInputError && message.test(err.message),
  );
}

test('a well-formed desired state passes', () => {
  assert.doesNotThrow(() => validateDesired(sampleDesired()));
});

test('names that could break out of the nft script are refused', () => {
  rejects({ table: 'weft; flush ruleset' }, /table name/);
  rejects({ ifacePrefix: 'wc"*' }, /ifacePrefix/);
  rejects({ localInstances: [{ ip: '10.99.1.2', hostIface: 'wc" accept' }] }, /not a valid interface name/);
});

test('an interface outside the prefix or longer than 15 characters is refused', () => {
  rejects({ localInstances: [{ ip: '10.99.1.2', hostIface: 'eth0' }] }, /must start with the prefix 'wc'/);
  rejects({ localInstances: [{ ip: '10.99.1.2', hostIface: 'wc0123456789abcd' }] }, /not a valid interface/);
});

test('addresses must be IPv4 inside the overlay, and the overlay a network address', () => {
  rejects({ overlayCidr: '10.99.1.0/16' }, /overlayCidr/);
  rejects({ gatewayIp: '10.98.0.1' }, /gatewayIp: 10\.98\.0\.1 is outside the overlay/);
  rejects({ tags: [{ ip: '10.99.1.256', tag: 1 }] }, /not an IPv4 address/);
  rejects({ tags: [{ ip: '010.99.1.2', tag: 1 }] }, /not an IPv4 address/);
  rejects({ proxyForwards: [{ ip: '192.0.2.2', port: 61443, proxyPort: 40001 }] }, /outside the overlay/);
});

test('tags, ports and protocols out of range are refused', () => {
  rejects({ tags: [{ ip: '10.99.1.2', tag: 0 }] }, /tag 0 is not in 1\.\.65535/);
  rejects({ tags: [{ ip: '10.99.1.2', tag: 65536 }] }, /tag 65536/);
  rejects({ policies: [{ srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 0, endPort: 80 }] }, /port 0/);
  rejects(
    { policies: [{ srcTag: 1, dstTag: 2, protocol: 'tcp', startPort: 90, endPort: 80 }] },
    /start port 90/,
  );
  rejects({ hostServices: [{ protocol: 'icmp' as 'tcp', port: 53 }] }, /protocol icmp/);
  rejects({ proxyForwards: [{ ip: '10.99.1.3', port: 61443, proxyPort: 70000 }] }, /port 70000/);
});

test('one address with two tags, or one port forwarded twice, is refused', () => {
  rejects(
    {
      tags: [
        { ip: '10.99.1.2', tag: 1 },
        { ip: '10.99.1.2', tag: 2 },
      ],
    },
    /two tags/,
  );
  rejects(
    {
      proxyForwards: [
        { ip: '10.99.1.3', port: 61443, proxyPort: 40001 },
        { ip: '10.99.1.3', port: 61443, proxyPort: 40002 },
      ],
    },
    /two proxy ports/,
  );
});

test('the exempt cgroup is a cgroup below the root, named so nft can quote it', () => {
  rejects({ exemptCgroup: { path: 'unified/x" accept', level: 1 } }, /exemptCgroup: path/);
  rejects({ exemptCgroup: { path: '/unified/x', level: 1 } }, /exemptCgroup: path/);
  rejects({ exemptCgroup: { path: 'unified/../x', level: 1 } }, /exemptCgroup: path/);
  rejects({ exemptCgroup: { path: '', level: 1 } }, /exemptCgroup: path/);
  // Level 0 is the root cgroup, which holds every process on the host.
  rejects({ exemptCgroup: { path: 'unified', level: 0 } }, /exemptCgroup: level 0/);
  rejects({ exemptCgroup: { path: 'unified/x', level: 3 } }, /exemptCgroup: level 3/);
  assert.doesNotThrow(() =>
    validateDesired(sampleDesired({ exemptCgroup: { path: 'system.slice/weft@a-1.service/x', level: 3 } })),
  );
});

test('the other cells’ hosts are IPv4 addresses outside the overlay', () => {
  rejects({ peerHosts: ['192.0.2.300'] }, /peerHosts: '192\.0\.2\.300' is not an IPv4 address/);
  rejects({ peerHosts: ['10.99.1.7'] }, /peerHosts: 10\.99\.1\.7 is inside the overlay/);
});
