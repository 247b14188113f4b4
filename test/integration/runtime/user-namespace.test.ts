// With --user-namespace, each container runs in a user namespace of its own where the host allows it: its
// processes are unprivileged host uids no other app's container uses, and what it writes on its layer is
// owned, on the host, by its mapped uid. The attack: a process that got out of its container would be no
// one on the host, and no other tenant either.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { USERNS_ROOTFS_DIR } from '../../../src/runtime/rootfs.js';
import { probeUserns } from '../../../src/runtime/userns.js';
import { waitFor, WeftHost } from '../../helpers/weft-host.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
// The app notes what it sees before it serves: its uid, whether it can read its key, who owns the stack's
// files and whether it can write them.
const NOTING =
  'id -u > /home/vcap/uid; echo x > /tmp/mine;' +
  ' head -c 11 /etc/cf-instance-credentials/instance.key > /home/vcap/key;' +
  ' stat -c %U /usr/bin/env > /home/vcap/stack-owner;' +
  ' (echo z >> /usr/bin/env) 2>/dev/null; echo $? > /home/vcap/stack-write;' +
  ' exec node server.js';

interface Ids {
  uid: number[];
  gid: number[];
}

/** Real, effective, saved and filesystem ids of a host process, as the host sees them. */
function hostIds(pid: number): Ids {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const ids = (name: string) =>
    (new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(status)?.[1] ?? '').split(/\s+/).map(Number);
  return { uid: ids('Uid'), gid: ids('Gid') };
}

function descendants(pid: number): number[] {
  const kids = fs
    .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .filter((p) => p.trim() !== '')
    .map(Number);
  return [pid, ...kids.flatMap(descendants)];
}

describe('a user namespace for each container', async () => {
  const support = await probeUserns([USERNS_ROOTFS_DIR]);
  const skip = support.enabled ? false : `this host allows none: ${support.reason}`;
  let host: WeftHost;
  const app = path.join(ROOT, 'examples', 'http-app');

  before(async () => {
    if (!support.enabled) return;
    host = await WeftHost.start({ args: ['--user-namespace'] });
    for (const name of ['alpha', 'beta']) await host.cliOk('push', name, '-p', app, '-c', NOTING, '-i', '1');
  });
  after(async () => {
    await host?.shutdown();
  });

  /** The instance's container: its init's host pid, the uid it runs as inside, and its writable layer. */
  async function container(name: string) {
    const [instance] = await host.waitRunning(name, 1);
    assert.ok(instance);
    const state = JSON.parse(
      fs.readFileSync(path.join(host.home, 'cell/instances', instance.guid, 'state.json'), 'utf8'),
    ) as { pid: number; uid: number };
    const upper = path.join(host.home, 'cell/containers', instance.guid, 'layer/upper');
    const noted = (file: string) =>
      waitFor(
        `${name} to note ${file}`,
        () => {
          const at = path.join(upper, 'home/vcap', file);
          const text = fs.existsSync(at) ? fs.readFileSync(at, 'utf8') : '';
          return text === '' ? undefined : text.trim();
        },
        60_000,
      );
    return { ...state, upper, noted };
  }

  test(
    "a container's processes are host uids of its own: not root, not another app's",
    { skip },
    async () => {
      const uids = new Map<string, Set<number>>();
      for (const name of ['alpha', 'beta']) {
        const c = await container(name);
        const procs = descendants(c.pid).map(hostIds);
        assert.ok(procs.length >= 2, 'the init and the app');
        for (const id of procs.flatMap((p) => [...p.uid, ...p.gid])) {
          assert.notEqual(id, 0);
          assert.ok(id >= 2 ** 30, `${id} is far from the host's own users and the container's ${c.uid}`);
        }
        // Inside, the app still sees the uid the cell gave it.
        assert.equal(await c.noted('uid'), String(c.uid));
        uids.set(name, new Set(procs.flatMap((p) => p.uid)));
      }
      for (const id of uids.get('beta') ?? []) assert.ok(!uids.get('alpha')?.has(id), `uid ${id} shared`);
    },
  );

  test(
    'files the container writes on its layer are owned on the host by its mapped uid',
    { skip },
    async () => {
      const c = await container('alpha');
      const appUid = hostIds(descendants(c.pid).at(-1) ?? c.pid).uid[0];
      await c.noted('stack-write');
      for (const file of ['home/vcap/uid', 'tmp/mine']) {
        assert.equal(fs.statSync(path.join(c.upper, file)).uid, appUid, file);
      }
      // Its credentials, owned on the host by that uid, are its own to read.
      assert.equal(await c.noted('key'), '-----BEGIN');
      // The stack's files belong to no one it knows: readable, never writable.
      assert.equal(await c.noted('stack-owner'), 'nobody');
      assert.notEqual(await c.noted('stack-write'), '0');
    },
  );
});
