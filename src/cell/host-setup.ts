// The cell's host side, made once the first world names the overlay and torn down on a stop with cleanup:
// the gateway and its routes, the VXLAN link, the files every container mounts, and the cell's unbound.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { CellDns } from '../dns/unbound/cell-dns.js';
import { readHostResolvers } from '../dns/upstream.js';
import type { Cell } from '../model/types.js';
import { gatewayAddress } from '../network/cidr.js';
import { setupCellNetwork, teardownCellNetwork } from '../network/cell-network.js';
import { checkOverlay, readHostFacts } from '../network/overlay-choice.js';
import { setupVxlan, teardownVxlan } from '../network/vxlan.js';
import { enterCellCgroup, type CellCgroup } from '../runtime/cell-cgroup.js';
import { proxyPortSpan } from './allocation.js';
import type { CellLinks } from './links.js';
import { DNS_PORT } from './local.js';
import type { CellPaths } from './paths.js';
import type { CellIdentity } from './plan.js';
import { writeTrust } from './trust.js';

export interface HostSetup {
  cell: Cell;
  overlayCidr: string;
  hostIp: string;
  table: string;
  links: CellLinks;
  paths: CellPaths;
  caPem: string;
  logger: Logger;
}

/** Refuses an overlay that overlaps the host, and proxy ports the host may hand out as ephemeral ones. */
async function checkHost(setup: HostSetup): Promise<void> {
  const overlap = checkOverlay(setup.overlayCidr, await readHostFacts());
  if (overlap.length > 0) {
    throw new Error(`overlay ${setup.overlayCidr} overlaps this host: ${overlap.join('; ')}`);
  }
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
  const [low = 0, high = 0] = range.trim().split(/\s+/).map(Number);
  const span = proxyPortSpan(setup.cell.subnet);
  if (span.last > 65_535 || (span.first <= high && span.last >= low)) {
    throw new Error(
      `the proxy ports ${span.first}-${span.last} of subnet ${setup.cell.subnet} overlap the host's ` +
        `ephemeral ports ${low}-${high} (net.ipv4.ip_local_port_range) or run past 65535`,
    );
  }
}

export interface HostSide {
  identity: CellIdentity;
  dns: CellDns;
  cgroup: CellCgroup;
}

export async function setUpHost(setup: HostSetup): Promise<HostSide> {
  await checkHost(setup);
  // Before the first kernel rules: they let only this cgroup's sockets into containers.
  const cgroup = await enterCellCgroup(setup.table);
  const { cell, links, overlayCidr } = setup;
  const gatewayIp = gatewayAddress(cell.subnet);
  await setupCellNetwork({
    gatewayIp,
    gatewayIface: links.gateway,
    subnet: cell.subnet,
    overlay: overlayCidr,
  });
  await setupVxlan({ iface: links.vxlan, hostIp: setup.hostIp, gatewayIp, overlay: overlayCidr });
  await writeTrust(setup.paths, setup.caPem, gatewayIp);
  const dns = new CellDns({
    dir: setup.paths.dnsDir,
    listen: [gatewayIp],
    // resolv.conf cannot name a port: containers ask the gateway on 53.
    port: DNS_PORT,
    clients: [cell.subnet],
    upstream: await readHostResolvers(),
    logger: setup.logger,
  });
  await dns.start();
  return {
    identity: {
      cellId: cell.id,
      table: setup.table,
      ifacePrefix: links.containerPrefix,
      overlayCidr,
      gatewayIp,
      exemptCgroup: { path: cgroup.path, level: cgroup.level },
    },
    dns,
    cgroup,
  };
}

export async function tearDownHost(cell: Cell, host: HostSide, links: CellLinks): Promise<void> {
  const { identity } = host;
  await teardownVxlan(links.vxlan);
  await teardownCellNetwork({
    gatewayIp: identity.gatewayIp,
    gatewayIface: links.gateway,
    subnet: cell.subnet,
    overlay: identity.overlayCidr,
  });
  await host.cgroup.leave();
}
