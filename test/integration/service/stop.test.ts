// The stop weft-cell.service relies on (KillMode=mixed): systemd sends SIGTERM to weft alone, waits for it
// to exit, then SIGKILLs whatever is left in the unit's cgroup. So weft must stop cleanly on that one
// signal, and leave no process in its cgroup that the SIGKILL would cut short; the containers, which live
// in cgroups of their own, are not the unit's and survive a stop without --cleanup. weft runs here in a
// fresh cgroup, as a unit's, and since this host's PID 1 is not systemd the test plays systemd's part.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { currentCgroup } from '../../../src/runtime/cell-cgroup.js';
import { WeftHost } from '../../helpers/weft-host.js';

/** Every process in a cgroup and its descendants. */
function processesUnder(dir: string): number[] {
  const here = fs
    .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
  const below = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => processesUnder(path.join(dir, e.name)));
  return [...here, ...below];
}

function describeProcess(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

function instancePids(host: WeftHost): number[] {
  const dir = path.join(host.home, 'cell/instances');
  return fs.readdirSync(dir).map((guid) => {
    const state = JSON.parse(fs.readFileSync(path.join(dir, guid, 'state.json'), 'utf8')) as { pid: number };
    return state.pid;
  });
}

function running(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('stopping a cell as systemd stops weft-cell.service', () => {
  let host: WeftHost | undefined;
  let parent = '';
  let unit = '';

  beforeEach(async () => {
    // This test process moves into the stand-in for the unit's cgroup; weft, its child, starts in it.
    const here = await currentCgroup();
    parent = here.dir;
    unit = path.join(parent, `weft-test-unit-${process.pid}`);
    fs.mkdirSync(unit);
    fs.writeFileSync(path.join(unit, 'cgroup.procs'), String(process.pid));
  });

  afterEach(async () => {
    // The host's sweep looks for the cell's cgroup below this process's: still the unit's.
    await host?.shutdown();
    host = undefined;
    fs.writeFileSync(path.join(parent, 'cgroup.procs'), String(process.pid));
    fs.rmdirSync(unit);
  });

  /** What systemd's SIGKILL would hit once weft has exited: anything in the unit's cgroup but this test. */
  const leftInUnit = () =>
    processesUnder(unit)
      .filter((pid) => pid !== process.pid)
      .map(describeProcess);

  test('with --cleanup, SIGTERM to weft alone removes everything and leaves nothing in the cgroup to kill', async () => {
    host = await WeftHost.start({ cleanup: true });
    await host.push('svc', 'http-app', 2);
    await host.waitRunning('svc', 2);
    const containers = instancePids(host);
    assert.equal(containers.length, 2);

    assert.deepEqual(await host.stop(), { exitedOnSigterm: true }, host.logTail());

    assert.deepEqual(leftInUnit(), [], host.logTail());
    assert.deepEqual(containers.filter(running), []);
    assert.deepEqual(await host.namespaces(), []);
  });

  test('without --cleanup, the containers outlive the stop outside the unit’s cgroup, which is left empty', async () => {
    host = await WeftHost.start({ cleanup: false });
    await host.push('svc', 'http-app', 2);
    await host.waitRunning('svc', 2);
    const containers = instancePids(host);

    assert.deepEqual(await host.stop(), { exitedOnSigterm: true }, host.logTail());

    assert.deepEqual(leftInUnit(), [], host.logTail());
    assert.deepEqual(containers.filter(running), containers, 'containers kept running');
  });
});
