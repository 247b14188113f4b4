import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { PolicyBatch, PolicyBatchV0 } from '../../../src/contract/policies.js';
import { batchProblem, nonIntegerNumber } from '../../../src/policy/cf-body.js';

const v1 = TypeCompiler.Compile(PolicyBatch);
const v0 = TypeCompiler.Compile(PolicyBatchV0);

/** What the API answers for a v1 (or v0) body that does not fit its schema. */
function problem(body: unknown, check: TypeCheck<TSchema> = v1): string {
  const first = check.Errors(body).First();
  assert.ok(first, `${JSON.stringify(body)} fits the schema`);
  return batchProblem(body, first);
}

const policy = (destination: Record<string, unknown>, source: Record<string, unknown> = { id: 'a' }) => ({
  policies: [
    { source, destination: { id: 'b', protocol: 'tcp', ports: { start: 8080, end: 8080 }, ...destination } },
  ],
});

test('numbers with a fraction or an exponent are found outside strings, whatever their size', () => {
  assert.equal(nonIntegerNumber('{"ports":{"start":8080,"end":8080}}'), null);
  assert.equal(nonIntegerNumber('{"start":8080.0}'), '8080.0');
  assert.equal(nonIntegerNumber('{"start":8e3}'), '8e3');
  assert.equal(nonIntegerNumber('[-1E+2]'), '-1E+2');
  assert.equal(nonIntegerNumber('{"id":"8080.0 \\" 1.5","n":-0}'), null);
  assert.equal(nonIntegerNumber(`{"pad":"${'x'.repeat(5_000_000)}","p":1.5}`), '1.5');
  assert.equal(nonIntegerNumber(`[${'9'.repeat(100)}.5]`), `${'9'.repeat(24)}…`);
});

test('a missing or empty field gets Cloud Foundry’s "missing" sentence, then the field', () => {
  assert.equal(problem({}), 'mapper: validate policies: missing policies; policies: is required');
  assert.match(problem({ policies: [] }), /^mapper: validate policies: missing policies; policies: /);
  assert.equal(
    problem(policy({}, {})),
    'mapper: validate policies: missing source id; policies[0].source.id: is required',
  );
  assert.match(
    problem(policy({}, { id: '' })),
    /^mapper: validate policies: missing source id; policies\[0\]\.source\.id: /,
  );
  assert.match(problem(policy({ id: null })), /^mapper: validate policies: missing destination id; /);
  assert.match(
    problem(policy({ ports: { end: 80 } })),
    /^mapper: validate policies: missing start port; .*ports\.start: is required/,
  );
  assert.match(
    problem(policy({ ports: { start: 0, end: 80 } })),
    /^mapper: validate policies: missing start port; /,
  );
  assert.match(
    problem(policy({ ports: { start: 90 } })),
    /^mapper: validate policies: invalid port range 90-0, start must be less than or equal to end; /,
  );
  const noProtocol = {
    policies: [{ source: { id: 'a' }, destination: { id: 'b', ports: { start: 1, end: 1 } } }],
  };
  assert.match(
    problem(noProtocol),
    /^mapper: validate policies: invalid destination protocol, specify either udp or tcp; /,
  );
});

test('ports out of range and protocols other than tcp and udp get Cloud Foundry’s sentences', () => {
  assert.match(
    problem(policy({ ports: { start: -1, end: 80 } })),
    /^mapper: validate policies: invalid start port -1, must be in range 1-65535; policies\[0\]\.destination\.ports\.start: /,
  );
  assert.match(
    problem(policy({ ports: { start: 80, end: 70000 } })),
    /^mapper: validate policies: invalid end port 70000, must be in range 1-65535; /,
  );
  assert.match(
    problem(policy({ protocol: 'icmp' })),
    /^mapper: validate policies: invalid destination protocol, specify either udp or tcp; policies\[0\]\.destination\.protocol: /,
  );
  assert.match(problem(policy({ protocol: 'TCP' })), /invalid destination protocol/);
});

test('a value of the wrong JSON type or an unknown field is what Go cannot decode', () => {
  assert.match(problem([]), /^mapper: unmarshal json; body: expected object/);
  assert.match(
    problem(policy({ ports: { start: '8080', end: 8080 } })),
    /^mapper: unmarshal json; policies\[0\]\.destination\.ports\.start: expected integer/,
  );
  assert.match(
    problem(policy({ protocol: 6 })),
    /^mapper: unmarshal json; policies\[0\]\.destination\.protocol/,
  );
  assert.match(
    problem(policy({}, { id: 7 })),
    /^mapper: unmarshal json; policies\[0\]\.source\.id: expected string/,
  );
  assert.match(problem({ policies: ['tcp'] }), /^mapper: unmarshal json; policies\[0\]: expected object/);
  assert.match(
    problem(policy({ port: 8080 })),
    /^mapper: unmarshal json; policies\[0\]\.destination\.port: is not allowed here/,
  );
});

test('a tag in a request is refused in Cloud Foundry’s words', () => {
  assert.equal(
    problem(policy({ tag: '0001' })),
    'mapper: validate policies: tags may not be specified; policies[0].destination.tag: is not allowed here',
  );
  assert.match(
    problem(policy({}, { id: 'a', tag: '' })),
    /^mapper: validate policies: tags may not be specified; policies\[0\]\.source\.tag/,
  );
});

test('only weft’s refusals (a GUID longer than any GUID) have weft’s words alone after the prefix', () => {
  assert.match(
    problem(policy({}, { id: 'x'.repeat(65) })),
    /^mapper: validate policies; policies\[0\]\.source\.id: expected string length less/,
  );
});

test('v0 has one port, with Cloud Foundry’s v0 sentences', () => {
  const v0Policy = (port: unknown) => ({
    policies: [{ source: { id: 'a' }, destination: { id: 'b', protocol: 'udp', port } }],
  });
  assert.ok(v0.Check(v0Policy(53)));
  assert.ok(v0.Check({ total_policies: 1, ...v0Policy(53) }));
  assert.match(
    problem(v0Policy(0), v0),
    /^mapper: validate policies: missing port; policies\[0\]\.destination\.port: /,
  );
  assert.match(
    problem(v0Policy(-4), v0),
    /^mapper: validate policies: invalid port -4, must be in range 1-65535; /,
  );
  assert.match(
    problem(v0Policy(70000), v0),
    /^mapper: validate policies: invalid port 70000, must be in range 1-65535; /,
  );
  assert.match(problem(v0Policy(null), v0), /^mapper: validate policies: missing port; /);
});
