import assert from 'node:assert/strict';
import { test } from 'node:test';
import { curlOutcome, finalVerdict, parseTrace, traceRule } from '../../../src/explain/probe.js';

const DROPPED = `trace id 1a2b inet weft_probe trace packet: iif "v1" ip saddr 10.9.1.2 ip daddr 10.9.1.3 tcp dport 8080
trace id 1a2b inet weft_probe trace rule ip saddr 10.9.1.2 ip daddr 10.9.1.3 tcp dport 8080 meta nftrace set 1 (verdict continue)
trace id 1a2b inet weft_probe trace policy accept
trace id 1a2b inet weft prerouting_filter packet: iif "v1" ip saddr 10.9.1.2
trace id 1a2b inet weft prerouting_filter rule iifname "weft*" goto from_container (verdict goto from_container)
trace id 1a2b inet weft from_container rule ip daddr 10.9.0.0/16 goto check_policy (verdict goto check_policy)
trace id 1a2b inet weft check_policy rule meta mark set ip saddr map @tags (verdict continue)
trace id 1a2b inet weft check_policy rule drop (verdict drop)
trace id 9f9f inet weft prerouting_filter rule iifname "weft*" goto from_container (verdict goto from_container)
`;

test('the trace keeps the first packet’s decisions, without the tracing table and without continues', () => {
  const trace = parseTrace(DROPPED, 'weft_probe');
  assert.deepEqual(
    trace.map((v) => `${v.chain}: ${v.verdict}`),
    ['prerouting_filter: goto from_container', 'from_container: goto check_policy', 'check_policy: drop'],
  );
  assert.equal(finalVerdict(trace)?.chain, 'check_policy');
  assert.equal(finalVerdict(trace)?.rule, 'drop');
});

test('an accepted packet is decided by the last rule that accepted it, not a chain’s default', () => {
  const trace = parseTrace(
    `trace id 7 inet weft check_policy rule meta l4proto tcp meta mark . ct mark . th dport @tcp_ports accept (verdict accept)
trace id 7 inet weft forward policy accept
`,
    'weft_probe',
  );
  assert.equal(finalVerdict(trace)?.chain, 'check_policy');
});

test('garbage and an empty trace give no verdicts', () => {
  assert.deepEqual(parseTrace('', 'p'), []);
  assert.deepEqual(parseTrace('trace id\n(verdict drop)\n\u0000\u0001', 'p'), []);
  assert.equal(finalVerdict([]), undefined);
});

test('a hostile rule text is cut to its bound', () => {
  const long = `trace id 1 inet weft c rule ${'x'.repeat(5000)} (verdict drop)`;
  assert.equal(parseTrace(long, 'p')[0]?.rule.length, 300);
});

test('only the SYN of a TCP probe is traced; every datagram of a UDP one', () => {
  assert.match(
    traceRule('10.0.0.1', '10.0.0.2', 'tcp', 80),
    /tcp dport 80 tcp flags & \(syn \| ack\) == syn meta nftrace set 1$/,
  );
  assert.equal(
    traceRule('10.0.0.1', '10.0.0.2', 'udp', 53),
    'ip saddr 10.0.0.1 ip daddr 10.0.0.2 udp dport 53 meta nftrace set 1',
  );
});

test('curl’s exit code tells a connection made from one refused, timed out, or failed at TLS', () => {
  assert.equal(curlOutcome(0, 0.001, false), 'connected');
  assert.equal(curlOutcome(7, 0, false), 'refused');
  assert.equal(curlOutcome(28, 0, false), 'timed-out');
  assert.equal(curlOutcome(28, 0.002, false), 'connected');
  assert.equal(curlOutcome(60, 0.002, true), 'certificate-rejected');
  assert.equal(curlOutcome(35, 0.002, true), 'tls-refused');
  assert.equal(curlOutcome(56, 0.002, true), 'tls-refused');
  assert.equal(curlOutcome(52, 0.002, false), 'connected');
  assert.equal(curlOutcome(6, 0, false), 'error');
});
