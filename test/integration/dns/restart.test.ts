// unbound is a child the cell supervises: killed, it is started again from the cell's zone, with every
// name, and changes made while it was down are not lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildZone, type Zone } from '../../../src/dns/zone.js';
import { waitFor } from '../../helpers/weft-host.js';
import { instance, snapshot } from '../../unit/dns/fixtures.js';
import { startDns } from './unbound-harness.js';

const run = promisify(execFile);

/** `tries`: one while waiting for unbound to come back; more where a datagram lost on a busy machine is no finding. */
async function addresses(port: number, name: string, tries = 1): Promise<string[] | null> {
  try {
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      `+tries=${tries}`,
      '+time=1',
      '+short',
      name,
    ]);
    return stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .sort();
  } catch {
    return null;
  }
}

/** Every name of the zone answers with exactly its addresses. */
async function servesWholeZone(port: number, zone: Zone): Promise<boolean> {
  for (const [name, ips] of zone.records) {
    const got = await addresses(port, name, 3);
    if (got === null || got.join() !== [...ips].sort().join()) return false;
  }
  return true;
}

function bigZone(instances: number): Zone {
  return buildZone(
    snapshot({
      instances: Array.from({ length: instances }, (_, i) =>
        instance('b', i, `10.250.${1 + (i >> 8)}.${(i % 254) + 2}`),
      ),
    }),
  );
}

test('unbound killed with SIGKILL is back with every name of the zone', async (t) => {
  const { dns, port } = await startDns(t);
  const zone = bigZone(200);
  await dns.setZone(zone);
  assert.ok(await servesWholeZone(port, zone));
  const killed = dns.pid;
  assert.ok(killed !== undefined);

  const at = Date.now();
  process.kill(killed, 'SIGKILL');
  const back = await waitFor(
    'unbound to answer again',
    async () => ((await addresses(port, '0.app-b.apps.internal'))?.length === 1 ? Date.now() : undefined),
    10_000,
    5,
  );
  t.diagnostic(`answering again ${back - at} ms after SIGKILL (${zone.records.size} names)`);
  assert.ok(await servesWholeZone(port, zone));
  assert.notEqual(dns.pid, killed);
  assert.equal(dns.restarts, 1);
});

test('a change made while unbound is down is served once it is back', async (t) => {
  const { dns, port } = await startDns(t);
  await dns.setZone(buildZone(snapshot()));
  const killed = dns.pid;
  assert.ok(killed !== undefined);
  process.kill(killed, 'SIGKILL');
  const changed = buildZone(snapshot({ instances: [instance('c', 0, '10.250.7.7')] }));
  await dns.setZone(changed);
  assert.deepEqual(await addresses(port, 'app-b.apps.internal'), ['10.250.7.7']);
  assert.ok(await servesWholeZone(port, changed));
  assert.equal(dns.restarts, 1);
});
