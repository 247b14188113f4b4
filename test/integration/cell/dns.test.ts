// Internal DNS as containers see it on a real `weft up`: route names answer all running instances,
// INDEX.name one, unknown internal names NXDOMAIN, other names go to the host's resolver, and scaling
// shows up in the answers without anyone restarting anything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { run, WeftHost } from '../../helpers/weft-host.js';

const DIG = 'dig +time=2 +tries=3';
// A name this machine can resolve through its own resolver (the package registry is reachable here).
const EXTERNAL = 'registry.npmjs.org';

function status(digOutput: string): string | undefined {
  return /status: ([A-Z]+)/.exec(digOutput)?.[1];
}

function records(short: string): string[] {
  return short
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe('internal DNS inside containers', () => {
  let host: WeftHost;

  before(async () => {
    host = await WeftHost.start();
    await host.push('app-a', 'http-app', 1);
    await host.push('app-b', 'http-app', 2);
    await host.cliOk('map-route', 'app-b', 'apps.internal', '--hostname', 'app-b');
    await Promise.all([host.waitRunning('app-a', 1), host.waitRunning('app-b', 2)]);
  });

  after(async () => {
    await host?.shutdown();
  });

  test('a route name answers every running instance, INDEX.name exactly one', async () => {
    const instances = await host.waitRunning('app-b', 2);
    const r = await host.ssh(
      'app-a',
      `${DIG} +short app-b.apps.internal; echo --; ${DIG} +short 0.app-b.apps.internal; echo --; ${DIG} +short 1.app-b.apps.internal`,
    );
    const [all = '', first = '', second = ''] = r.stdout.split('--\n');
    assert.deepEqual(records(all), instances.map((i) => i.ip).sort(), r.stdout + r.stderr);
    assert.deepEqual(records(first), [instances[0]?.ip]);
    assert.deepEqual(records(second), [instances[1]?.ip]);
  });

  test('unknown names in an internal domain answer NXDOMAIN', async () => {
    const r = await host.ssh('app-a', `${DIG} nope.apps.internal; ${DIG} 7.app-b.apps.internal`);
    const statuses = [...r.stdout.matchAll(/status: ([A-Z]+)/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['NXDOMAIN', 'NXDOMAIN'], r.stdout + r.stderr);
  });

  test('other names are answered as the host’s own resolver answers them', async (t) => {
    const onHost = await run('dig', ['+time=2', '+tries=3', EXTERNAL]);
    const hostStatus = status(onHost.stdout);
    const hostAnswers = records((await run('dig', ['+short', '+time=2', '+tries=3', EXTERNAL])).stdout);
    t.diagnostic(`host resolver: ${EXTERNAL} ${hostStatus} ${hostAnswers.join(' ')}`);
    assert.ok(hostStatus, `the host's dig gave no status:\n${onHost.stdout}${onHost.stderr}`);

    const inside = await host.ssh('app-a', `${DIG} ${EXTERNAL}; echo --; ${DIG} +short ${EXTERNAL}`);
    const [full = '', short = ''] = inside.stdout.split('--\n');
    assert.equal(status(full), hostStatus, full + inside.stderr);
    // The container asked weft's DNS on the cell's gateway, not the host's resolver directly.
    assert.match(full, /SERVER: 10\.\d+\.\d+\.1#53/);
    if (hostAnswers.length > 0) assert.ok(records(short).length > 0, `no answer inside:\n${full}`);
  });

  test('scaling the app changes the answers, with nothing restarted', async (t) => {
    const scaled = Date.now();
    await host.cliOk('scale', 'app-b', '-i', '3');
    // One session polls inside the container until three records show, then prints when and which.
    const r = await host.ssh(
      'app-a',
      `for i in $(seq 1200); do ` +
        `a=$(${DIG} +short app-b.apps.internal); ` +
        `if [ "$(printf '%s\\n' "$a" | grep -c .)" -eq 3 ]; then date +%s%3N; printf '%s\\n' "$a"; exit 0; fi; ` +
        `sleep 0.1; done; exit 1`,
    );
    assert.equal(r.code, 0, `three records never showed:\n${r.stdout}${r.stderr}`);
    const [when = '', ...ips] = r.stdout.trim().split('\n');
    t.diagnostic(
      `3 records seen ${Number(when) - scaled} ms after the scale command started (CLI start included)`,
    );
    const instances = await host.waitRunning('app-b', 3);
    assert.deepEqual(ips.sort(), instances.map((i) => i.ip).sort());
  });
});
