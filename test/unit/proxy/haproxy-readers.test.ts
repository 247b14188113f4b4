import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogLine } from '../../../src/proxy/haproxy/log-reader.js';
import { parseStats, parseTotalsRow } from '../../../src/proxy/haproxy/stats.js';

test('show stat CSV is read by proxy and side, numbers only', () => {
  const stats = parseStats(
    '# pxname,svname,qcur,scur,stot,status\n' + 'g0,FRONTEND,,3,17,OPEN\n' + 'b0_20000,BACKEND,0,1,9,UP\n',
  );
  assert.equal(stats.get('g0/FRONTEND')?.get('stot'), 17);
  assert.equal(stats.get('g0/FRONTEND')?.has('qcur'), false);
  assert.equal(stats.get('b0_20000/BACKEND')?.get('scur'), 1);
});

test('the totals row gives open connections and the refusals by reason', () => {
  assert.deepEqual(
    parseTotalsRow('# table: totals\n0x5: key=1 use=2 exp=0 conn_cur=4 gpc0=5 gpc1=6 gpc2=7\n'),
    { openConnections: 4, refusedPerSource: 5, refusedGlobal: 6, mtlsRefusals: 7 },
  );
});

test('a mutual-TLS refusal names the caller OU and whether its certificate verified', () => {
  assert.deepEqual(parseLogLine('<134>Nov 27 21:00:00 haproxy[1]: weft g3~ mtls app:abc 0 PR'), {
    kind: 'connection',
    frontend: 'g3',
    refusal: 'mtls',
    callerOu: 'app:abc',
    verified: true,
    termination: 'PR',
  });
});

test('a handshake that never finished is read with its error code', () => {
  assert.deepEqual(parseLogLine('<134>Nov 27 21:00:00 haproxy[1]: weft-handshake g0~ 26'), {
    kind: 'handshake',
    frontend: 'g0',
    error: 26,
  });
});

test('lines in other formats are ignored', () => {
  assert.equal(parseLogLine('<134>Nov 27 21:00:00 haproxy[1]: Proxy g0 started.'), null);
});
