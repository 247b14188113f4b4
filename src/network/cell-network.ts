// The host side of a cell's overlay: the gateway address (DNS and the TLS proxy listen there), IP
// forwarding, and unreachable routes so traffic to unassigned overlay addresses never leaves the host.
//
// Route precedence does the rest: each container's /32 (container-network.ts) beats the cell subnet's
// unreachable route, and a remote cell's subnet route (added later, e.g. over VXLAN) beats the
// overlay-wide one.
import { writeFile } from 'node:fs/promises';
import { cidrContains, cidrsOverlap, parseCidr } from './cidr.js';
import { ignoreMissing } from './ignore-missing.js';
import { WEFT_LINK_ALIAS_PREFIX, WEFT_ROUTE_PROTO } from './marks.js';
import { assertIfaceName } from './names.js';
import { CommandError, run } from '../host/run.js';

export interface CellNetworkConfig {
  gatewayIp: string;
  gatewayIface: string;
  subnet: string;
  overlay: string;
}

function validate(cfg: CellNetworkConfig): void {
  assertIfaceName(cfg.gatewayIface);
  if (!cidrContains(cfg.subnet, cfg.gatewayIp))
    throw new Error(`gateway ${cfg.gatewayIp} is not in ${cfg.subnet}`);
  const o = parseCidr(cfg.overlay);
  const s = parseCidr(cfg.subnet);
  if (!cidrsOverlap(cfg.overlay, cfg.subnet) || s.prefix < o.prefix) {
    throw new Error(`cell subnet ${cfg.subnet} is not inside the overlay ${cfg.overlay}`);
  }
}

function unreachableCidrs(cfg: CellNetworkConfig): string[] {
  return [...new Set([cfg.subnet, cfg.overlay])];
}

/** The `ip -batch` lines that configure an existing gateway link; `replace` makes them idempotent. */
export function cellNetworkBatch(cfg: CellNetworkConfig): string[] {
  return [
    `link set dev ${cfg.gatewayIface} alias ${WEFT_LINK_ALIAS_PREFIX}gateway`,
    `addr replace ${cfg.gatewayIp}/32 dev ${cfg.gatewayIface}`,
    `link set dev ${cfg.gatewayIface} up`,
    ...unreachableCidrs(cfg).map((c) => `route replace unreachable ${c} proto ${WEFT_ROUTE_PROTO}`),
  ];
}

async function linkExists(name: string): Promise<boolean> {
  try {
    await run(['ip', '-j', 'link', 'show', 'dev', name]);
    return true;
  } catch (err) {
    if (err instanceof CommandError) return false;
    throw err;
  }
}

// Kernels built without CONFIG_DUMMY (like the CI machines) get a bridge without ports instead,
// which holds a local address just as well.
async function addGatewayLink(name: string): Promise<void> {
  try {
    await run(['ip', 'link', 'add', name, 'type', 'dummy']);
  } catch (err) {
    if (!(err instanceof CommandError && /Unknown device type/.test(err.stderr))) throw err;
    await run(['ip', 'link', 'add', name, 'type', 'bridge']);
  }
}

export async function setupCellNetwork(cfg: CellNetworkConfig): Promise<void> {
  validate(cfg);
  if (!(await linkExists(cfg.gatewayIface))) await addGatewayLink(cfg.gatewayIface);
  await run(['ip', '-batch', '-'], cellNetworkBatch(cfg).join('\n') + '\n');
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
}

/** Removes the gateway link and the unreachable routes; IP forwarding stays on, other things may need it. */
export async function teardownCellNetwork(cfg: CellNetworkConfig): Promise<void> {
  validate(cfg);
  await ignoreMissing(run(['ip', 'link', 'del', 'dev', cfg.gatewayIface]));
  for (const c of unreachableCidrs(cfg)) {
    await ignoreMissing(run(['ip', 'route', 'del', 'unreachable', c, 'proto', String(WEFT_ROUTE_PROTO)]));
  }
}
