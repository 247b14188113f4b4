import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_OWN_DIRS, deleteContainer, prepareRootfs } from '../../../src/runtime/container.js';
import { DEFAULT_DISK_MB } from '../../../src/runtime/container-spec.js';
import { LayerPool, removeLeftLayers } from '../../../src/runtime/layer-pool.js';
import { currentMountPoints, mountedAtOrUnder } from '../../../src/runtime/mountinfo.js';
import { pid, withContainerHost } from './fixture.js';

const UID = 63000 + (pid % 1000);
const READY = 2;

async function mountedUnder(dir: string): Promise<string[]> {
  return (await currentMountPoints()).filter((m) => mountedAtOrUnder([m], dir));
}

/** Resolves once `pool` holds `n` ready layers, counted by their mounts (two each) under `dir`. */
async function layersReady(dir: string, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await mountedUnder(dir)).length === 2 * n) return;
    await sleep(25);
  }
  assert.fail(`expected ${n} layers ready under ${dir}, found mounts ${String(await mountedUnder(dir))}`);
}

test('starts take writable layers mounted ahead, each used once, and nothing is left once the pool closes', async (t) => {
  const errors: unknown[] = [];
  const pools: LayerPool[] = [];
  // The pools' mounts go before the host's directory, which holds them.
  const host = await withContainerHost((removeHost) =>
    t.after(async () => {
      for (const p of pools) await p.close();
      await removeLeftLayers(dir);
      await removeHost();
    }),
  );
  const dir = path.join(path.dirname(host.bundles), 'layer-pool');
  const config = {
    dir,
    stackRootfs: host.stackRootfs,
    diskMb: DEFAULT_DISK_MB,
    ownDirs: APP_OWN_DIRS,
    size: READY,
    refillDelayMs: 200,
    onError: (err: unknown) => errors.push(err),
  };
  const pool = new LayerPool(config);
  pools.push(pool);
  const pooled = { ...host, layers: pool };
  const spec = (id: string) => ({ id, uid: UID, gid: UID, diskMb: DEFAULT_DISK_MB, userns: null });

  await t.test('the pool mounts its layers ahead, root-only', async () => {
    await pool.open();
    await layersReady(dir, READY);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
  });

  await t.test(
    'a start moves a ready layer into its bundle, the app owns its dirs, and the pool refills after it',
    async () => {
      const before = await readdir(dir);
      const rootfs = await prepareRootfs(pooled, spec('pool-a'));
      assert.equal(rootfs, path.join(host.bundles, 'pool-a', 'rootfs'));
      const after = await readdir(dir);
      assert.equal(after.filter((n) => before.includes(n)).length, READY - 1, 'one ready layer was taken');
      const mounts = await mountedUnder(path.join(host.bundles, 'pool-a'));
      assert.deepEqual(mounts.sort(), [
        path.join(host.bundles, 'pool-a', 'layer'),
        path.join(host.bundles, 'pool-a', 'rootfs'),
      ]);
      for (const own of APP_OWN_DIRS) {
        const s = await stat(path.join(rootfs, own));
        assert.deepEqual([s.uid, s.gid, s.mode & 0o777], [UID, UID, 0o700], own);
      }
      await layersReady(dir, READY);
    },
  );

  await t.test(
    'what one container wrote never reaches the next one: a layer goes with its container',
    async () => {
      const first = await prepareRootfs(pooled, spec('pool-b'));
      await writeFile(path.join(first, 'home/vcap/secret'), 'tenant b');
      await deleteContainer(pooled, 'pool-b');
      assert.deepEqual(await mountedUnder(path.join(host.bundles, 'pool-b')), []);
      await layersReady(dir, READY);
      for (let i = 0; i < READY + 1; i++) {
        const next = await prepareRootfs(pooled, spec(`pool-c${i}`));
        assert.equal(existsSync(path.join(next, 'home/vcap/secret')), false);
      }
    },
  );

  await t.test('a start asking for another disk size mounts its own layer', async () => {
    await layersReady(dir, READY);
    const ready = await readdir(dir);
    await prepareRootfs(pooled, { ...spec('pool-d'), diskMb: 64 });
    assert.deepEqual((await readdir(dir)).sort(), ready.sort());
    const layer = (await currentMountPoints()).includes(path.join(host.bundles, 'pool-d', 'layer'));
    assert.ok(layer);
  });

  await t.test(
    'layers a killed cell left are removed by the next pool, and close leaves nothing',
    async () => {
      // A second pool over the same directory stands for the next cell after a SIGKILL: the first never closed.
      const next = new LayerPool(config);
      pools.push(next);
      await next.open();
      await layersReady(dir, READY);
      await next.close();
      assert.deepEqual(await mountedUnder(dir), []);
      assert.deepEqual(await readdir(dir), []);
      await pool.close();
      assert.deepEqual(await mountedUnder(dir), []);
      await removeLeftLayers(dir);
      assert.deepEqual(errors, []);
    },
  );
});
