// A throwaway cell network for integration tests: names and a /24 of 10.99.0.0/16 derived from the test
// process's pid so parallel runs do not collide, never anything near the host resolver's 10.255.0.0/16.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  setupCellNetwork,
  teardownCellNetwork,
  type CellNetworkConfig,
} from '../../../src/network/cell-network.js';
import { gatewayAddress, nthAddress } from '../../../src/network/cidr.js';
import {
  unwireContainer,
  wireContainer,
  type ContainerNetworkConfig,
} from '../../../src/network/container-network.js';
import {
  deleteContainer,
  listContainers,
  removeContainersCgroupParent,
  type ContainerHost,
} from '../../../src/runtime/container.js';
import { probeRuntime, type OciRuntime } from '../../../src/runtime/oci/runtime-choice.js';
import { ensureStack, stacksDir } from '../../../src/runtime/stack/stack.js';
import { addNamedNetns, deleteNamedNetns } from '../../../src/network/named-netns.js';

export const pid = process.pid;

export function testCell(): CellNetworkConfig {
  const subnet = `10.99.${(pid % 200) + 20}.0/24`;
  return { subnet, overlay: subnet, gatewayIp: gatewayAddress(subnet), gatewayIface: `wg${pid}` };
}

/** A container's wiring in a named netns of the test's own. */
export type TestContainerNet = ContainerNetworkConfig & { netns: string };

export function testContainerNet(cell: CellNetworkConfig, n: number): TestContainerNet {
  return {
    netns: `weft-it-${pid}-${n}`,
    netnsPath: `/run/netns/weft-it-${pid}-${n}`,
    ifname: 'eth0',
    // Not "wc…": a weft cell running on the same machine filters its container links by that prefix.
    hostIface: `wt${pid}n${n}`,
    ip: nthAddress(cell.subnet, 10 + n),
    gatewayIp: cell.gatewayIp,
  };
}

/** Registers teardown first, so a half-done setup is removed too. */
export async function withCell(after: (fn: () => Promise<void>) => void): Promise<CellNetworkConfig> {
  const cell = testCell();
  after(() => teardownCellNetwork(cell));
  await setupCellNetwork(cell);
  return cell;
}

export async function withContainerNet(
  after: (fn: () => Promise<void>) => void,
  cell: CellNetworkConfig,
  n: number,
): Promise<TestContainerNet> {
  const net = testContainerNet(cell, n);
  after(() => detachTestNet(net));
  await addNamedNetns(net.netns);
  await wireContainer(net);
  return net;
}

export async function detachTestNet(net: TestContainerNet): Promise<void> {
  await unwireContainer(net);
  await deleteNamedNetns(net.netns);
}

/** A temp dir outside /tmp: the container's /tmp is private, so app dirs and mount targets cannot live there. */
export async function withBaseDir(after: (fn: () => Promise<void>) => void): Promise<string> {
  const dir = await mkdtemp(`/var/tmp/weft-it-${pid}-`);
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs a program and collects its exit code and output, failing or not. */
export function capture(
  program: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** runc or crun as the cell would pick it, its state and the bundles in a temp dir, and the shared stack. */
export async function withContainerHost(after: (fn: () => Promise<void>) => void): Promise<ContainerHost> {
  const dir = await mkdtemp(`/var/tmp/weft-it-rt-${pid}-`);
  const bundles = path.join(dir, 'bundles');
  const probed: { runtime?: OciRuntime } = {};
  // Registered before anything can fail, so that not even an empty directory is left behind. Whatever a
  // test left running goes before its directory, or the directory's mounts would stay busy.
  after(async () => {
    const { runtime } = probed;
    if (runtime) {
      const host = { runtime, bundles };
      for (const id of await listContainers(runtime)) await deleteContainer(host, id);
      for (const id of await readdir(bundles).catch(() => [])) await deleteContainer(host, id);
    }
    await rm(dir, { recursive: true, force: true });
    // As a cell's stop with --cleanup does: the containers' parent cgroup goes once it is empty.
    await removeContainersCgroupParent();
  });
  const runtime = await probeRuntime(path.join(dir, 'runtime'));
  probed.runtime = runtime;
  const stack = await ensureStack(stacksDir(), (line) => console.log(line));
  return { runtime, bundles, stackRootfs: stack.rootfs };
}
