// The periodic resync heals what changed behind weft's back: a policy element deleted from the kernel's
// table, a chain of rules flushed, and a container's host route deleted are all put back, without any
// change from the control plane, and the repairs are counted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { run, waitFor, WeftHost } from '../../helpers/weft-host.js';
import { probeFrom } from './probes.js';

const HEAL_DEADLINE_MS = 30_000;

describe('the cell repairs drift on its resync', () => {
  let host: WeftHost;
  let destIp: string;

  before(async () => {
    host = await WeftHost.start({ args: ['--resync-interval', '1'] });
    await host.push('r-src', 'http-app', 1);
    await host.push('r-dst', 'http-app', 1);
    await host.cliOk(
      'add-network-policy',
      'r-src',
      '--destination-app',
      'r-dst',
      '--protocol',
      'tcp',
      '--port',
      '8080',
    );
    await host.waitRunning('r-src', 1);
    const [dest] = await host.waitRunning('r-dst', 1);
    destIp = dest?.ip ?? '';
  });

  after(async () => {
    await host?.shutdown();
  });

  const reaches = async () =>
    (await probeFrom(host, 'r-src', 0, [destIp], 8080)).get(`tcp ${destIp}`) === 'ok';

  test('a chain of rules flushed behind weft’s back, which opened every flow, is put back', async () => {
    const [src] = await host.waitRunning('r-src', 1);
    const srcIp = src?.ip ?? '';
    const reverse = async () =>
      (await probeFrom(host, 'r-dst', 0, [srcIp], 8080)).get(`tcp ${srcIp}`) === 'ok';
    assert.equal(await reverse(), false);
    const flushed = await run('nft', ['flush', 'chain', 'inet', host.table, 'check_policy']);
    assert.equal(flushed.code, 0, flushed.stderr);
    await waitFor(
      'the policy check back',
      async () => ((await reverse()) ? undefined : true),
      HEAL_DEADLINE_MS,
    );
    assert.equal(await reaches(), true);
  });

  test('a policy element deleted from the kernel comes back', async () => {
    assert.equal(await reaches(), true);
    const src = await host.app('r-src');
    const dst = await host.app('r-dst');
    const deleted = await run('nft', [
      'delete',
      'element',
      'inet',
      host.table,
      'tcp_ports',
      `{ ${src.tag} . ${dst.tag} . 8080 }`,
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await waitFor(
      'the policy back in the kernel',
      async () => ((await reaches()) ? true : undefined),
      HEAL_DEADLINE_MS,
    );
    await waitFor(
      'a counted kernel repair',
      async () =>
        /weft_cell_resync_repairs_total\{reconciler="kernel"\} [1-9]/.test(await host.metrics())
          ? true
          : undefined,
      HEAL_DEADLINE_MS,
    );
  });

  test('a container’s host route deleted comes back', async () => {
    const deleted = await run('ip', ['route', 'del', `${destIp}/32`]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await waitFor(
      'the host route back',
      async () =>
        (await run('ip', ['route', 'show', `${destIp}/32`])).stdout.includes('dev') ? true : undefined,
      HEAL_DEADLINE_MS,
    );
    assert.equal(await reaches(), true);
    assert.match(await host.metrics(), /weft_cell_resync_repairs_total\{reconciler="instances"\} [1-9]/);
  });
});
