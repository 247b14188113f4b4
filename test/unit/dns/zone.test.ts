import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZone, enclosingDomain } from '../../../src/dns/zone.js';
import { APPS_INTERNAL, PUBLIC_DOMAIN, app, instance, snapshot } from './fixtures.js';

test('a route name resolves to the running instances of every app mapped to it', () => {
  const zone = buildZone(snapshot());
  assert.deepEqual(zone.records.get('app-b.apps.internal'), ['10.250.1.2', '10.250.2.2', '10.250.1.3']);
});

test('an index name resolves to the instance with that index of each mapped app', () => {
  const zone = buildZone(snapshot());
  assert.deepEqual(zone.records.get('0.app-b.apps.internal'), ['10.250.1.2', '10.250.2.2']);
  assert.deepEqual(zone.records.get('1.app-b.apps.internal'), ['10.250.1.3']);
  assert.equal(zone.records.get('2.app-b.apps.internal'), undefined);
});

test('instances of a stopped app are left out', () => {
  const zone = buildZone(snapshot({ apps: [app('b'), app('c', 'STOPPED')] }));
  assert.deepEqual(zone.records.get('app-b.apps.internal'), ['10.250.1.2', '10.250.1.3']);
  assert.equal(zone.records.get('0.app-b.apps.internal')?.length, 1);
});

test('instances that are not running or have no address yet are left out', () => {
  const zone = buildZone(
    snapshot({
      instances: [
        instance('b', 0, null),
        instance('b', 1, '10.250.1.3', 'CRASHED'),
        instance('c', 0, '10.250.2.2'),
      ],
    }),
  );
  assert.deepEqual(zone.records.get('app-b.apps.internal'), ['10.250.2.2']);
  assert.equal(zone.records.has('1.app-b.apps.internal'), false);
});

test('a route without running instances has no name', () => {
  const zone = buildZone(snapshot({ instances: [] }));
  assert.equal(zone.records.size, 0);
  assert.deepEqual([...zone.domains], ['apps.internal']);
});

test('routes of non-internal domains are not served', () => {
  const zone = buildZone(
    snapshot({
      routes: [{ guid: 'r', host: 'www', domainGuid: PUBLIC_DOMAIN.guid, spaceGuid: null, appGuids: ['b'] }],
    }),
  );
  assert.equal(zone.records.size, 0);
  assert.equal(zone.domains.has('example.com'), false);
});

test('names are stored in lower case so lookups ignore case', () => {
  const zone = buildZone(
    snapshot({
      domains: [{ ...APPS_INTERNAL, name: 'Apps.Internal.' }],
      routes: [
        { guid: 'r', host: 'App-B', domainGuid: APPS_INTERNAL.guid, spaceGuid: null, appGuids: ['b'] },
      ],
    }),
  );
  assert.deepEqual(zone.records.get('app-b.apps.internal'), ['10.250.1.2', '10.250.1.3']);
});

test('an app mapped twice to a route or sharing an address is listed once', () => {
  const zone = buildZone(
    snapshot({
      routes: [
        { guid: 'r', host: 'app-b', domainGuid: APPS_INTERNAL.guid, spaceGuid: null, appGuids: ['b', 'b'] },
      ],
    }),
  );
  assert.deepEqual(zone.records.get('app-b.apps.internal'), ['10.250.1.2', '10.250.1.3']);
});

test('the enclosing domain is the most specific internal domain of a name', () => {
  const zone = buildZone(
    snapshot({ domains: [APPS_INTERNAL, { guid: 'd2', name: 'team.apps.internal', internal: true }] }),
  );
  assert.equal(enclosingDomain(zone, 'x.team.apps.internal'), 'team.apps.internal');
  assert.equal(enclosingDomain(zone, 'x.apps.internal'), 'apps.internal');
  assert.equal(enclosingDomain(zone, 'apps.internal'), 'apps.internal');
  assert.equal(enclosingDomain(zone, 'internal'), undefined);
  assert.equal(enclosingDomain(zone, 'example.com'), undefined);
});
