// A container Debian's podman starts (CNI backend) joins a weft app through weft-cni and is then one of
// its instances: policies apply to it both ways on 8080 and 61443, it resolves apps.internal, and when it
// goes its instance goes too. Podman reads a test-only CNI config and plugin dir (nothing in /etc/cni).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gatewayAddress } from '../../../src/network/cidr.js';
import { cniPlugin } from '../../../src/network/cni/plugin-binary.js';
import { run, waitFor, WeftHost } from '../../helpers/weft-host.js';

/** An empty root with mount points: podman mounts the host's /usr read-only over it (merged-/usr Debian). */
const ROOTFS = '/var/cache/weft-cni-test-rootfs';
const CONTAINER = `weft-cni-it-${process.pid}`;

function makeRootfs(): void {
  for (const d of ['usr', 'etc', 'tmp', 'proc', 'sys', 'dev', 'run', 'root'])
    fs.mkdirSync(path.join(ROOTFS, d), { recursive: true });
  for (const [link, target] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ] as const) {
    // lstat: the links dangle until podman mounts /usr.
    if (!fs.lstatSync(path.join(ROOTFS, link), { throwIfNoEntry: false }))
      fs.symlinkSync(target, path.join(ROOTFS, link));
  }
}

describe('podman containers join weft apps through weft-cni', () => {
  let host: WeftHost;
  let podmanEnv: NodeJS.ProcessEnv;
  let cniDir: string;
  let gateway: string;

  const podman = (...args: string[]) =>
    run('podman', ['--network-config-dir', cniDir, ...args], { env: podmanEnv });
  const inPodman = (cmd: string) => podman('exec', CONTAINER, 'sh', '-c', cmd);
  const policy = (src: string, dst: string, port: number) =>
    host.cliOk(
      'add-network-policy',
      src,
      '--destination-app',
      dst,
      '--protocol',
      'tcp',
      '--port',
      String(port),
    );
  const outsideInstance = async () => {
    const list = await host.instances('p-side');
    return list.find((i) => i.index >= 10_000);
  };

  before(async () => {
    makeRootfs();
    host = await WeftHost.start();
    cniDir = path.join(host.work, 'cni');
    // The plugin is where `weft cni network --install` puts it, nowhere else podman looks.
    const pluginDir = path.join(host.work, 'cni-bin');
    const conf = path.join(host.work, 'containers.conf');
    fs.writeFileSync(
      conf,
      `[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${pluginDir}"]\nnetwork_config_dir = "${cniDir}"\n`,
    );
    podmanEnv = { ...process.env, CONTAINERS_CONF: conf };
    await host.push('p-web', 'http-app', 1);
    await host.push('p-side', 'http-app', 1);
    for (const a of ['p-web', 'p-side']) await host.cliOk('map-route', a, 'apps.internal', '--hostname', a);
    await Promise.all(['p-web', 'p-side'].map((a) => host.waitRunning(a, 1)));
    // The cell's socket is named beside the plugin: podman's cleanup after `rm` runs from conmon, without
    // this test's environment, and must still reach this cell.
    await host.cliOk(
      'cni',
      'network',
      'p-side',
      '--install',
      cniDir,
      '--plugin-dir',
      pluginDir,
      '--cni-socket',
      host.cniSocket,
    );
    assert.deepEqual(fs.readFileSync(path.join(pluginDir, 'weft-cni')), fs.readFileSync(await cniPlugin()));
    const [cell] = await host.api<{ subnet: string }[]>('GET', '/v1/cells');
    gateway = gatewayAddress(cell!.subnet);
  });

  after(async () => {
    if (podmanEnv) await podman('rm', '-f', '-t', '0', CONTAINER);
    await host?.shutdown();
  });

  test('podman run --network weft-APP joins the app as an outside instance, with the address its ADD returned', async () => {
    const started = await podman(
      'run',
      // crun refuses this host's hybrid cgroups; runc works.
      '--runtime',
      'runc',
      // podman's default rlimits are past what this host lets a process set.
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=4096:4096',
      '-d',
      '--name',
      CONTAINER,
      '--network',
      'weft-p-side',
      '--dns',
      gateway,
      '-v',
      '/usr:/usr:ro',
      '-v',
      `${path.join(host.home, 'ca/ca.crt')}:/ca.crt:ro`,
      '--rootfs',
      ROOTFS,
      'python3',
      '-m',
      'http.server',
      '8080',
    );
    assert.equal(started.code, 0, started.stderr);
    const joined = await waitFor(
      'the outside instance to run',
      async () => {
        const i = await outsideInstance();
        return i?.state === 'RUNNING' && i.ip !== null ? i : undefined;
      },
      30_000,
    );
    assert.equal(joined.index, 10_000);
    const addr = await inPodman('ip -4 -o addr show dev eth0');
    assert.match(addr.stdout, new RegExp(joined.ip!.replaceAll('.', '\\.')));
  });

  test('it resolves apps.internal through the cell', async () => {
    const r = await inPodman('getent hosts p-web.apps.internal');
    const [web] = await host.instances('p-web');
    assert.equal(r.stdout.trim().split(/\s+/)[0], web?.ip, r.stderr);
  });

  test('without a policy neither side reaches the other on 8080', async () => {
    const [web] = await host.instances('p-web');
    const outside = await outsideInstance();
    const out = await inPodman(`curl -sS -m 3 http://${web!.ip}:8080/ && echo reached`);
    assert.doesNotMatch(out.stdout, /reached/);
    const back = await host.ssh('p-web', `curl -sS -m 3 http://${outside!.ip}:8080/ && echo reached`);
    assert.doesNotMatch(back.stdout, /reached/);
  });

  test('policies apply to it both ways, on 8080 and on 61443', async () => {
    const [web] = await host.instances('p-web');
    const outside = await outsideInstance();
    await policy('p-side', 'p-web', 8080);
    const out = await waitFor(
      'podman → p-web on 8080',
      async () => {
        const r = await inPodman(`curl -sS -m 3 http://${web!.ip}:8080/`);
        return /hello from p-web/.test(r.stdout) ? r : undefined;
      },
      30_000,
    );
    assert.match(out.stdout, /hello from p-web/);
    const stillClosed = await host.ssh('p-web', `curl -sS -m 3 http://${outside!.ip}:8080/ && echo reached`);
    assert.doesNotMatch(stillClosed.stdout, /reached/, 'a policy one way opens nothing the other way');

    await policy('p-web', 'p-side', 8080);
    await waitFor(
      'p-web → podman on 8080',
      async () => {
        const r = await host.ssh('p-web', `curl -sS -m 3 http://${outside!.ip}:8080/ && echo reached`);
        return /reached/.test(r.stdout) ? r : undefined;
      },
      30_000,
    );

    const tlsOut = 'curl -sS -m 5 --cacert /ca.crt https://p-web.apps.internal:61443/ && echo reached';
    assert.doesNotMatch((await inPodman(tlsOut)).stdout, /reached/, '61443 needs its own policy');
    await policy('p-side', 'p-web', 61443);
    await waitFor(
      'podman → p-web on 61443',
      async () => {
        const r = await inPodman(tlsOut);
        return /hello from p-web/.test(r.stdout) ? r : undefined;
      },
      30_000,
    );

    const tlsBack = 'curl -sS -m 5 https://10000.p-side.apps.internal:61443/ && echo reached';
    assert.doesNotMatch((await host.ssh('p-web', tlsBack)).stdout, /reached/);
    await policy('p-web', 'p-side', 61443);
    await waitFor(
      'p-web → podman on 61443, with a certificate naming its instance',
      async () => {
        const r = await host.ssh('p-web', tlsBack);
        return /reached/.test(r.stdout) ? r : undefined;
      },
      30_000,
    );
  });

  test('podman rm takes the instance out of the app and its wiring off the host', async () => {
    const outside = await outsideInstance();
    const removed = await podman('rm', '-f', '-t', '0', CONTAINER);
    assert.equal(removed.code, 0, removed.stderr);
    await waitFor(
      'the outside instance to leave',
      async () => ((await outsideInstance()) ? undefined : true),
      30_000,
    ).catch(async (err: unknown) => {
      // What podman said of its network teardown, and what the cell logged, to tell which side lost the DEL.
      const log = (await fs.promises.readFile(host.logFile, 'utf8')).split('\n').slice(-40).join('\n');
      throw new Error(`${String(err)}\npodman rm said: ${removed.stderr}\nthe weft log ends:\n${log}`);
    });
    const links = await run('ip', ['-o', 'link']);
    assert.doesNotMatch(
      links.stdout,
      new RegExp(`${host.ifacePrefix}c${outside!.guid.replaceAll('-', '').slice(0, 8)}`),
    );
    assert.equal((await run('ip', ['route', 'show', `${outside!.ip}/32`])).stdout.trim(), '');
    assert.equal((await host.instances('p-side')).length, 1, 'the platform-placed instance stays');
  });
});
