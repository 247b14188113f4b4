import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explain, type ExplainFacts } from '../../../src/explain/explain.js';
import type { CellAnswer } from '../../../src/contract/inspect.js';
import type { App, Instance } from '../../../src/model/types.js';

const app = (name: string, tag: number, mtls = false): App => ({
  guid: `${name}-guid`,
  name,
  spaceGuid: 'space',
  command: 'run',
  packageDigest: null,
  packageSize: null,
  instances: 1,
  memoryMb: 64,
  ports: [8080],
  state: 'STARTED',
  tag,
  mtls,
  env: {},
});

const instance = (a: App, ip: string, cellId: string): Instance => ({
  guid: `${a.name}-0`,
  appGuid: a.guid,
  index: 0,
  cellId,
  state: 'RUNNING',
  ip,
  since: '',
});

const A = app('a', 1);
const B = app('b', 2);

function answer(admitted: boolean, names: string[] | null = null): CellAnswer {
  return {
    flows: [
      { srcIp: '10.1.1.2', dstIp: '10.1.2.2', protocol: 'tcp', port: 8080, srcTag: 1, dstTag: 2, admitted },
    ],
    certificates: names === null ? [] : [{ instanceGuid: 'b-0', names }],
  };
}

function facts(over: Partial<ExplainFacts> = {}): ExplainFacts {
  return {
    source: A,
    destination: B,
    sourceInstances: [instance(A, '10.1.1.2', 'c1')],
    destinationInstances: [instance(B, '10.1.2.2', 'c2')],
    protocol: 'tcp',
    port: 8080,
    hostname: null,
    policies: [],
    answers: new Map([
      ['c1', answer(false)],
      ['c2', answer(false)],
    ]),
    ...over,
  };
}

const policy = {
  sourceAppGuid: A.guid,
  destAppGuid: B.guid,
  protocol: 'tcp' as const,
  startPort: 8000,
  endPort: 9000,
};

test('no policy: denied at the policy, with the command that adds one', () => {
  const e = explain(facts());
  assert.equal(e.verdict, 'denied');
  const step = e.steps.find((s) => s.layer === 'policy');
  assert.equal(step?.status, 'fail');
  assert.match(step?.text ?? '', /weft add-network-policy a b --protocol tcp --port 8080/);
});

test('a covering range allows it, and both cells’ kernels are asked', () => {
  const e = explain(
    facts({
      policies: [policy],
      answers: new Map([
        ['c1', answer(true)],
        ['c2', answer(true)],
      ]),
    }),
  );
  assert.equal(e.verdict, 'allowed');
  assert.equal(e.steps.filter((s) => s.layer === 'kernel' && s.status === 'ok').length, 2);
});

test('the database allows but one kernel does not: denied at the kernel', () => {
  const e = explain(
    facts({
      policies: [policy],
      answers: new Map([
        ['c1', answer(true)],
        ['c2', answer(false)],
      ]),
    }),
  );
  assert.equal(e.verdict, 'denied');
  assert.match(e.summary, /: kernel$/);
});

test('a kernel that admits what no policy allows is reported, never called fine', () => {
  const e = explain(
    facts({
      answers: new Map([
        ['c1', answer(true)],
        ['c2', answer(false)],
      ]),
    }),
  );
  assert.ok(
    e.steps.some((s) => s.layer === 'kernel' && s.status === 'fail' && /no policy allows/.test(s.text)),
  );
});

test('a cell that did not answer leaves the verdict unknown when nothing else stops the flow', () => {
  const e = explain(
    facts({
      policies: [policy],
      answers: new Map([
        ['c1', answer(true)],
        ['c2', null],
      ]),
    }),
  );
  assert.equal(e.verdict, 'unknown');
});

test('on 61443: the served certificate must name the dialled name, and mTLS needs a policy for the caller', () => {
  const tls = { protocol: 'tcp' as const, port: 61443 };
  const open = (names: string[]) =>
    new Map<string, CellAnswer | null>([
      ['c1', { ...answer(true), flows: [{ ...answer(true).flows[0]!, port: 61443 }] }],
      ['c2', { ...answer(true, names), flows: [{ ...answer(true).flows[0]!, port: 61443 }] }],
    ]);
  const p61443 = { ...policy, startPort: 61443, endPort: 61443 };
  const name = { name: 'b.apps.internal', targets: [{ appGuid: B.guid, appName: 'b', index: null }] };
  const wrong = explain(
    facts({ ...tls, policies: [p61443], hostname: name, answers: open(['other.apps.internal']) }),
  );
  assert.equal(wrong.steps.find((s) => s.layer === 'certificate')?.status, 'fail');
  const right = explain(
    facts({ ...tls, policies: [p61443], hostname: name, answers: open(['b.apps.internal']) }),
  );
  assert.equal(right.verdict, 'allowed');
  const mtls = explain(facts({ ...tls, destination: app('b', 2, true), policies: [], answers: open([]) }));
  assert.equal(mtls.steps.find((s) => s.layer === 'mtls')?.status, 'fail');
});

test('a name that resolves to another app, or to nothing, fails at DNS', () => {
  const other = explain(
    facts({ hostname: { name: 'x.apps.internal', targets: [{ appGuid: 'x', appName: 'x', index: null }] } }),
  );
  assert.match(other.steps.find((s) => s.layer === 'dns')?.text ?? '', /resolves to x, not to b/);
  const none = explain(facts({ hostname: { name: 'y.apps.internal', targets: [] } }));
  assert.match(none.steps.find((s) => s.layer === 'dns')?.text ?? '', /does not resolve/);
});

test('a probe that was asked for but not answered leaves the verdict unknown, never allowed', () => {
  const allowedFacts = {
    policies: [policy],
    answers: new Map([
      ['c1', answer(true)],
      ['c2', answer(true)],
    ]),
  };
  assert.equal(explain(facts(allowedFacts)).verdict, 'allowed');
  const from = instance(A, '10.1.1.2', 'c1');
  const to = instance(B, '10.1.2.2', 'c2');
  const e = explain(facts({ ...allowedFacts, probe: { from, to, result: null } }));
  assert.equal(e.verdict, 'unknown');
  assert.match(e.steps.at(-1)?.text ?? '', /cell c1 did not run the probe a\/0 \(10\.1\.1\.2\) → b\/0/);
});

test('a probe the kernel dropped denies, even where the records say allowed', () => {
  const trace = [{ table: 'weft', chain: 'check_policy', verdict: 'drop', rule: 'drop' }];
  const e = explain(
    facts({
      policies: [policy],
      answers: new Map([
        ['c1', answer(true)],
        ['c2', answer(true)],
      ]),
      probe: {
        from: instance(A, '10.1.1.2', 'c1'),
        to: instance(B, '10.1.2.2', 'c2'),
        result: { outcome: 'timed-out', detail: '', trace },
      },
    }),
  );
  assert.equal(e.verdict, 'denied');
  assert.match(e.summary, /: probe$/);
  assert.match(
    e.steps.at(-1)?.text ?? '',
    /timed out: the kernel dropped it; .*drop in table weft, chain check_policy/,
  );
});
