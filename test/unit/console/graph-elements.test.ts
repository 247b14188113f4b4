// The policy graph as data: apps inside their spaces, an edge per policy labelled protocol and ports,
// an edge per denied pair, and unnamed nodes for apps the caller cannot see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphOf, portLabel } from '../../../console/src/graph-elements.js';
import type { Flow, FlowEndpoint } from '../../../src/contract/flows.js';
import type { App } from '../../../src/contract/resources.js';

const app = (guid: string, name: string, spaceGuid: string) => ({ guid, name, spaceGuid }) as App;
const policy = (source: string, dest: string, start: number, end = start) => ({
  source: { id: source },
  destination: { id: dest, protocol: 'tcp' as const, ports: { start, end } },
});
const end = (appGuid: string | null, appName: string | null, port: number): FlowEndpoint => ({
  ip: '10.99.1.10',
  port,
  appGuid,
  appName,
  spaceGuid: null,
  spaceName: null,
  orgGuid: null,
  orgName: null,
  instanceGuid: null,
  instanceIndex: null,
});
const denied = (src: FlowEndpoint, dst: FlowEndpoint): Flow => ({
  seq: 1,
  time: '2026-01-01T00:00:00Z',
  cellId: 'cell-1',
  verdict: 'DENIED',
  protocol: 'tcp',
  src,
  dst,
});

test('ports read as one port or a range', () => {
  assert.equal(portLabel('tcp', 8080, 8080), 'tcp 8080');
  assert.equal(portLabel('udp', 9000, 9010), 'udp 9000-9010');
});

test('apps sit in their spaces and each policy is an edge labelled with protocol and ports', () => {
  const g = graphOf(
    {
      spaces: [{ guid: 's1', name: 'space-x', orgGuid: 'o' }],
      apps: [app('a', 'app-a', 's1'), app('b', 'app-b', 's1')],
      policies: [policy('a', 'b', 8080), policy('a', 'b', 9000, 9010)],
    },
    [],
  );
  assert.deepEqual(
    g.nodes.map((n) => [n.id, n.label, n.parent, n.kind]),
    [
      ['space:s1', 'space-x', undefined, 'space'],
      ['a', 'app-a', 'space:s1', 'app'],
      ['b', 'app-b', 'space:s1', 'app'],
    ],
  );
  assert.deepEqual(
    g.edges.map((e) => [e.source, e.target, e.label, e.kind]),
    [
      ['a', 'b', 'tcp 8080', 'policy'],
      ['a', 'b', 'tcp 9000-9010', 'policy'],
    ],
  );
});

test('denied flows become one edge per pair and port; addresses no app holds are left out', () => {
  const g = graphOf({ spaces: [], apps: [app('a', 'app-a', 's1'), app('b', 'app-b', 's1')], policies: [] }, [
    denied(end('b', 'app-b', 40000), end('a', 'app-a', 8080)),
    denied(end('b', 'app-b', 40001), end('a', 'app-a', 8080)),
    denied(end(null, null, 40002), end('a', 'app-a', 8080)),
  ]);
  assert.deepEqual(
    g.edges.map((e) => [e.source, e.target, e.label, e.kind]),
    [['b', 'a', 'denied tcp 8080', 'denied']],
  );
});

test('an app outside the caller’s spaces shows unnamed unless the API named it', () => {
  const g = graphOf({ spaces: [], apps: [app('a', 'app-a', 's1')], policies: [policy('a', 'z', 8080)] }, [
    denied(end('y', 'app-y', 1), end('a', 'app-a', 8080)),
  ]);
  const label = new Map(g.nodes.map((n) => [n.id, [n.label, n.kind]]));
  assert.deepEqual(label.get('z'), ['an app you cannot see', 'foreign']);
  assert.deepEqual(label.get('y'), ['app-y', 'foreign']);
});
