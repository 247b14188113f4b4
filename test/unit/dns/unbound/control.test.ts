import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlFailure, controlRequest } from '../../../../src/dns/unbound/control.js';
import { dnsStats } from '../../../../src/dns/unbound/stats.js';

test('a command is one versioned line; a batch adds its lines and the end-of-transmission line', () => {
  assert.equal(controlRequest('stats_noreset'), 'UBCT1 stats_noreset\n');
  assert.equal(
    controlRequest('local_datas', ['a. 1 IN A 10.0.0.2', 'b. 1 IN A 10.0.0.3']),
    'UBCT1 local_datas\na. 1 IN A 10.0.0.2\nb. 1 IN A 10.0.0.3\n\x04\n',
  );
  assert.equal(controlRequest('local_datas_remove', []), 'UBCT1 local_datas_remove\n\x04\n');
});

test('an error line anywhere in the answer is a failure', () => {
  assert.equal(controlFailure('ok\n'), undefined);
  assert.equal(controlFailure('added 2 datas\n'), undefined);
  assert.equal(controlFailure("error unknown command 'x'\n"), "error unknown command 'x'");
  assert.match(controlFailure('error parsing local-data at line 2\nadded 1 datas\n') ?? '', /^error parsing/);
});

test('unbound’s counters become the DNS metrics', () => {
  const stats = dnsStats(
    [
      'total.num.queries=120',
      'total.num.queries_ip_ratelimited=30',
      'total.num.cachehits=70',
      'total.num.cachemiss=20',
      'unwanted.queries=4',
      'num.answer.rcode.SERVFAIL=2',
      'num.query.tcp=5',
      'total.tcpusage=1',
      'histogram.000000.000000.to.000000.000001=0',
    ].join('\n'),
  );
  assert.deepEqual(stats, {
    queries: 120,
    answered: 70,
    forwarded: 20,
    rateLimited: 30,
    refused: 4,
    upstreamFailures: 2,
    tcpQueries: 5,
    tcpConnectionsOpen: 1,
  });
});
