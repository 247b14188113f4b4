import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addResult,
  CniCode,
  CniError,
  errorResult,
  parseCniArgs,
  parseCniRequest,
} from '../../../../src/network/cni/protocol.js';

const GUID = '0b7c3d5e-1f2a-4b6c-8d9e-0a1b2c3d4e5f';
const CONFIG = JSON.stringify({ cniVersion: '1.0.0', name: 'weft', type: 'weft-cni' });

function query(over: Record<string, string | null> = {}): URLSearchParams {
  const base: Record<string, string | null> = {
    command: 'ADD',
    containerid: 'abc123',
    netns: '/run/netns/c1',
    ifname: 'eth0',
    args: `WEFT_INSTANCE=${GUID}`,
    ...over,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(base)) if (v !== null) q.set(k, v);
  return q;
}

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof CniError) return err.code;
    throw err;
  }
  assert.fail('expected a CNI error');
}

test('a well-formed ADD parses into its parts', () => {
  const r = parseCniRequest(query(), CONFIG);
  assert.equal(r.command, 'ADD');
  assert.equal(r.containerId, 'abc123');
  assert.equal(r.netns, '/run/netns/c1');
  assert.equal(r.ifname, 'eth0');
  assert.equal(r.args.get('WEFT_INSTANCE'), GUID);
  assert.deepEqual(r.config, { cniVersion: '1.0.0', name: 'weft', type: 'weft-cni' });
});

test('DEL may come without a namespace; ADD and CHECK may not', () => {
  const del = parseCniRequest(query({ command: 'DEL', netns: null }), CONFIG);
  assert.ok('netns' in del);
  assert.equal(del.netns, null);
  assert.equal(
    codeOf(() => parseCniRequest(query({ netns: null }), CONFIG)),
    CniCode.invalidEnvironment,
  );
  assert.equal(
    codeOf(() => parseCniRequest(query({ command: 'CHECK', netns: '' }), CONFIG)),
    CniCode.invalidEnvironment,
  );
});

test('hostile CNI_* values are refused as invalid environment (code 4)', () => {
  const hostile: Record<string, string>[] = [
    { command: 'ADD; rm -rf /' },
    { command: 'VERSION' },
    { containerid: '' },
    { containerid: '-rf' },
    { containerid: 'a b' },
    { containerid: 'x'.repeat(300) },
    { netns: 'relative/ns' },
    { netns: '/run/netns/../../etc/passwd' },
    { netns: '/run/netns/a b' },
    { netns: '/run/netns/a\nlink del dev eth0' },
    { ifname: '' },
    { ifname: 'eth0 type dummy' },
    { ifname: 'a'.repeat(16) },
    { ifname: '..' },
    { ifname: 'eth/0' },
    { args: 'WEFT_INSTANCE=not-a-guid' },
    { args: 'WEFT_INSTANCE=$(reboot)' },
    { extra: '1' },
  ];
  for (const over of hostile) {
    assert.equal(
      codeOf(() => parseCniRequest(query(over), CONFIG)),
      CniCode.invalidEnvironment,
      JSON.stringify(over),
    );
  }
});

test('a parameter given twice is refused', () => {
  const q = query();
  q.append('ifname', 'eth1');
  assert.equal(
    codeOf(() => parseCniRequest(q, CONFIG)),
    CniCode.invalidEnvironment,
  );
});

test('the network configuration is a closed schema: bad JSON, versions, types, fields and apps are refused', () => {
  const cases: [string, number][] = [
    ['not json', CniCode.decode],
    ['[]', CniCode.decode],
    [JSON.stringify({ cniVersion: '0.4.0', name: 'weft', type: 'weft-cni' }), CniCode.incompatibleVersion],
    [JSON.stringify({ name: 'weft', type: 'weft-cni' }), CniCode.incompatibleVersion],
    [JSON.stringify({ cniVersion: '1.0.0', name: 'weft', type: 'bridge' }), CniCode.invalidConfig],
    [JSON.stringify({ cniVersion: '1.0.0', name: '../x', type: 'weft-cni' }), CniCode.invalidConfig],
    [
      JSON.stringify({ cniVersion: '1.0.0', name: 'weft', type: 'weft-cni', app: 'web' }),
      CniCode.invalidConfig,
    ],
    [
      JSON.stringify({ cniVersion: '1.0.0', name: 'weft', type: 'weft-cni', ipam: {} }),
      CniCode.unsupportedField,
    ],
  ];
  for (const [body, code] of cases)
    assert.equal(
      codeOf(() => parseCniRequest(query(), body)),
      code,
      body,
    );
});

test('fields runtimes add (prevResult, runtimeConfig, args) are accepted and an app GUID is kept', () => {
  const body = JSON.stringify({
    cniVersion: '1.0.0',
    name: 'weft-web',
    type: 'weft-cni',
    app: GUID,
    prevResult: {},
    runtimeConfig: {},
    args: {},
  });
  assert.equal(parseCniRequest(query(), body).config.app, GUID);
});

test('CNI_ARGS: unknown keys are refused unless IgnoreUnknown is set, as CNI convention says', () => {
  assert.equal(
    codeOf(() => parseCniArgs('FOO=bar')),
    CniCode.invalidEnvironment,
  );
  const args = parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=web;K8S_POD_NAMESPACE=ns');
  assert.equal(args.get('K8S_POD_NAME'), 'web');
  assert.equal(parseCniArgs('').size, 0);
  assert.equal(
    codeOf(() => parseCniArgs(`WEFT_INSTANCE=${GUID};WEFT_INSTANCE=${GUID}`)),
    CniCode.invalidEnvironment,
  );
  assert.equal(
    codeOf(() => parseCniArgs('novalue')),
    CniCode.invalidEnvironment,
  );
  assert.equal(
    codeOf(() => parseCniArgs(Array(40).fill('IgnoreUnknown=1').join(';'))),
    CniCode.invalidEnvironment,
  );
});

test("ADD's result lists both interfaces, the /32 on the container's, the default route and the cell's DNS", () => {
  assert.deepEqual(
    addResult({
      hostIface: 'weftc0b7c3d5e',
      hostMac: '02:00:00:00:00:01',
      containerMac: '02:00:00:00:00:02',
      ifname: 'eth0',
      netns: '/run/netns/c1',
      ip: '10.99.3.2',
      nextHop: '169.254.0.1',
      nameserver: '10.99.3.1',
    }),
    {
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'weftc0b7c3d5e', mac: '02:00:00:00:00:01' },
        { name: 'eth0', mac: '02:00:00:00:00:02', sandbox: '/run/netns/c1' },
      ],
      ips: [{ address: '10.99.3.2/32', gateway: '169.254.0.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '169.254.0.1' }],
      dns: { nameservers: ['10.99.3.1'] },
    },
  );
});

test('errors carry their CNI code; a failure on the host is an I/O error (code 5)', () => {
  assert.deepEqual(errorResult(new CniError(100, 'drifted', 'route missing')), {
    cniVersion: '1.0.0',
    code: 100,
    msg: 'drifted',
    details: 'route missing',
  });
  assert.equal(errorResult(new Error('ip failed')).code, CniCode.io);
});
