import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZone, emptyZone, type Zone } from '../../../../src/dns/zone.js';
import { zoneChange, zoneEntries } from '../../../../src/dns/unbound/zone-lines.js';
import { instance, snapshot } from '../fixtures.js';

function zone(records: Record<string, string[]>, domains = ['apps.internal']): Zone {
  return { revision: 1, domains: new Set(domains), records: new Map(Object.entries(records)) };
}

test('the whole zone is a static local zone per domain, its SOA and one A record per address', () => {
  const entries = zoneEntries(buildZone(snapshot()));
  assert.deepEqual(entries.zones, ['apps.internal. static']);
  assert.ok(
    entries.datas[0]?.startsWith('apps.internal. 1 IN SOA apps.internal. hostmaster.apps.internal. '),
  );
  assert.ok(entries.datas.includes('app-b.apps.internal. 1 IN A 10.250.1.2'));
  assert.ok(entries.datas.includes('1.app-b.apps.internal. 1 IN A 10.250.1.3'));
});

test('from nothing, the change adds every zone and record', () => {
  const full = buildZone(snapshot());
  const change = zoneChange(emptyZone, full);
  assert.deepEqual(change.removeNames, []);
  assert.deepEqual(change.removeZones, []);
  assert.deepEqual(change.addZones, zoneEntries(full).zones);
  assert.deepEqual(new Set(change.addDatas), new Set(zoneEntries(full).datas));
});

test('the same zone again changes nothing', () => {
  const full = buildZone(snapshot());
  assert.deepEqual(zoneChange(full, buildZone(snapshot())), {
    removeNames: [],
    removeZones: [],
    addZones: [],
    addDatas: [],
  });
});

test('a name that only gains an address keeps its records and gets the new one', () => {
  const change = zoneChange(
    zone({ 'a.apps.internal': ['10.0.0.2'] }),
    zone({ 'a.apps.internal': ['10.0.0.2', '10.0.0.3'] }),
  );
  assert.deepEqual(change.removeNames, []);
  assert.deepEqual(change.addDatas, ['a.apps.internal. 1 IN A 10.0.0.3']);
});

test('a name that loses an address is removed and given its remaining set', () => {
  const change = zoneChange(
    zone({ 'a.apps.internal': ['10.0.0.2', '10.0.0.3'], 'gone.apps.internal': ['10.0.0.4'] }),
    zone({ 'a.apps.internal': ['10.0.0.3'] }),
  );
  assert.deepEqual(change.removeNames.sort(), ['a.apps.internal', 'gone.apps.internal']);
  assert.deepEqual(change.addDatas, ['a.apps.internal. 1 IN A 10.0.0.3']);
});

test('a domain that stops being internal is removed; a new one comes with its SOA', () => {
  const change = zoneChange(zone({}, ['apps.internal']), zone({}, ['web.internal']));
  assert.deepEqual(change.removeZones, ['apps.internal']);
  assert.deepEqual(change.addZones, ['web.internal. static']);
  assert.equal(change.addDatas.length, 1);
  assert.match(change.addDatas[0] ?? '', /^web\.internal\. 1 IN SOA /);
});

test('a name or address that could smuggle a line into unbound is left out', () => {
  const hostile = zone(
    {
      'evil.apps.internal. 1 IN A 6.6.6.6\nx.apps.internal': ['10.0.0.2'],
      'sp ace.apps.internal': ['10.0.0.2'],
      'quote".apps.internal': ['10.0.0.2'],
      'ok.apps.internal': ['10.0.0.2', '10.0.0.3\nlocal_zone . static', '::1'],
    },
    ['apps.internal', 'bad domain', 'x\n.internal'],
  );
  const entries = zoneEntries(hostile);
  assert.deepEqual(entries.zones, ['apps.internal. static']);
  assert.deepEqual(entries.datas.slice(1), ['ok.apps.internal. 1 IN A 10.0.0.2']);
  const change = zoneChange(emptyZone, hostile);
  assert.ok(change.addDatas.every((line) => !line.includes('\n') && !line.includes('"')));
  assert.equal(change.addDatas.length, 2);
});

test('scaling down to nothing removes the names', () => {
  const before = buildZone(snapshot());
  const after = buildZone(snapshot({ instances: [instance('b', 0, '10.250.1.2', 'STOPPED')] }));
  const change = zoneChange(before, after);
  assert.deepEqual(change.removeNames.sort(), [...before.records.keys()].sort());
  assert.deepEqual(change.addDatas, []);
});
