// Two hosts (network namespaces joined by a veth) share one control plane: cell-1 runs it beside its
// cell, cell-2 follows it from the other host. Containers on different hosts reach each other over the
// VXLAN overlay exactly as policy says, by route name, on 8080 and on 61443.
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, TwoHosts } from './two-hosts.js';

const hosts = new TwoHosts('mh', '172.31');
const ok = (host: 0 | 1, ...args: string[]) => hosts.ok(host, ...args);

describe('two hosts sharing one control plane', () => {
  let callerHost: 0 | 1 = 0;

  before(async () => {
    await hosts.link();
    await hosts.startControlPlane([]);
    await hosts.startCell2([]);
    const app = path.join(ROOT, 'examples/http-app');
    await ok(0, 'push', 'app-a', '-p', app, '-c', 'node server.js', '-i', '1');
    await ok(0, 'push', 'app-b', '-p', app, '-c', 'node server.js', '-i', '2');
    await ok(0, 'map-route', 'app-b', 'apps.internal', '--hostname', 'app-b');
    for (let i = 0; i < 200; i++) {
      if (/instances:\s+2\/2/.test(await ok(0, 'app', 'app-b'))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    callerHost = /cell-2/.test(await ok(0, 'app', 'app-a')) ? 1 : 0;
  });

  after(() => hosts.remove());

  /** Curls every app-b instance by its per-instance name from app-a; one line per instance. */
  async function probe(scheme: 'http' | 'https', port: number): Promise<string[]> {
    const cmd = [0, 1]
      .map(
        (i) =>
          `curl -sS -m 2 ${scheme}://${i}.app-b.apps.internal:${port} >/dev/null 2>/tmp/err; ` +
          `case $? in 0) echo ${i}:ok;; 6) echo ${i}:unresolved;; *) echo ${i}:no;; esac`,
      )
      .join('; ');
    return (await ok(callerHost, 'ssh', 'app-a', '-c', cmd))
      .trim()
      .split('\n')
      .filter((l) => /^\d:/.test(l));
  }

  test('the instances are spread over both cells', async () => {
    const out = await ok(0, 'app', 'app-b');
    assert.match(out, /10\.96\.1\./);
    assert.match(out, /10\.96\.2\./);
  });

  test('nothing crosses the overlay without a policy', async () => {
    assert.deepEqual(await probe('http', 8080), ['0:no', '1:no']);
  });

  test('a policy opens 8080 to the instances on both hosts, and 61443 needs its own', async () => {
    await ok(0, 'add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
    assert.deepEqual(await probe('http', 8080), ['0:ok', '1:ok']);
    assert.deepEqual(await probe('https', 61443), ['0:no', '1:no']);
    await ok(0, 'add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '61443');
    assert.deepEqual(await probe('https', 61443), ['0:ok', '1:ok']);
  });

  test('removing the policy closes both hosts again', async () => {
    await ok(0, 'remove-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '8080');
    assert.deepEqual(await probe('http', 8080), ['0:no', '1:no']);
  });
});
