// CNI calls for containers another runtime started on a network naming an app (`weft cni network APP`):
// ADD registers an instance of that app on this cell with the control plane, lets the planner start it
// like any other (address, certificates, proxy, kernel), and answers once the kernel holds it; DEL removes
// it everywhere. Whoever can run CNI plugins as root on this host is trusted as this cell.
import { CONTAINER_NEXT_HOP, pairMacs, wiringDrift } from '../network/container-network.js';
import { addResult, CniCode, CniError, type Attachment, type CniRequest } from '../network/cni/protocol.js';
import type { Instance } from '../model/types.js';
import type { LocalInstance, OutsideContainer } from './local.js';

/** Below the CNI server's own deadline, so the ADD cleans up before the runtime hears "try again". */
const JOIN_DEADLINE_MS = 45_000;

export interface OutsideSide {
  gatewayIp: string;
  joinExternal(appGuid: string): Promise<Instance>;
  leave(guid: string): Promise<void>;
  /** Asks the planner to run now. */
  kick(): void;
  instances: {
    find(guid: string): LocalInstance | undefined;
    findOutside(containerId: string, ifname: string): LocalInstance | undefined;
    locals(): LocalInstance[];
    hasOutside(containerId: string, ifname: string): boolean;
    expectOutside(guid: string, container: OutsideContainer): Promise<void>;
    abandonOutside(guid: string): Promise<void>;
    stop(guid: string): Promise<void>;
  };
}

/** The control plane's 4xx is the caller's doing (no such app, app stopped); anything else may pass. */
function joinRefused(err: unknown): CniError {
  const message = err instanceof Error ? err.message : String(err);
  return / 4\d\d /.test(message)
    ? new CniError(CniCode.invalidConfig, message)
    : new CniError(CniCode.tryAgainLater, `the control plane is unreachable: ${message}`);
}

export async function addOutside(side: OutsideSide, req: CniRequest, appGuid: string): Promise<object> {
  if (req.netns === null) throw new CniError(CniCode.invalidEnvironment, 'CNI_NETNS is required');
  const { containerId, ifname } = req;
  if (side.instances.hasOutside(containerId, ifname))
    throw new CniError(CniCode.invalidConfig, `container ${containerId} has joined already (${ifname})`);
  const instance = await side.joinExternal(appGuid).catch((err: unknown) => {
    throw joinRefused(err);
  });
  const started = side.instances.expectOutside(instance.guid, { containerId, netnsPath: req.netns, ifname });
  side.kick();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      started,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CniError(CniCode.tryAgainLater, 'the cell did not start the instance in time')),
          JOIN_DEADLINE_MS,
        );
      }),
    ]);
  } catch (err) {
    await side.instances.abandonOutside(instance.guid);
    await side.leave(instance.guid);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const local = side.instances.find(instance.guid);
  if (!local) throw new CniError(CniCode.tryAgainLater, 'the instance stopped as it started');
  const macs = pairMacs(local.ip);
  return addResult({
    hostIface: local.hostIface,
    hostMac: macs.host,
    containerMac: macs.container,
    ifname,
    netns: req.netns,
    ip: local.ip,
    nextHop: CONTAINER_NEXT_HOP,
    nameserver: side.gatewayIp,
  });
}

/** Idempotent: a container that never joined, or left already, is fine. */
export async function delOutside(side: OutsideSide, req: CniRequest): Promise<void> {
  const local = side.instances.findOutside(req.containerId, req.ifname);
  if (local) await side.instances.stop(local.guid);
}

/** GC: the app's outside containers on this cell that the runtime no longer lists leave, as on DEL. */
export async function gcOutside(side: OutsideSide, appGuid: string, valid: Attachment[]): Promise<void> {
  const keep = new Set(valid.map((a) => JSON.stringify([a.containerId, a.ifname])));
  const stale = side.instances
    .locals()
    .filter((l) => l.appGuid === appGuid && l.outside !== undefined)
    .filter((l) => !keep.has(JSON.stringify([l.outside?.containerId, l.outside?.ifname])));
  for (const l of stale) await side.instances.stop(l.guid);
}

export async function checkOutside(side: OutsideSide, req: CniRequest): Promise<void> {
  const local = side.instances.findOutside(req.containerId, req.ifname);
  if (!local?.outside)
    throw new CniError(CniCode.unknownContainer, `container ${req.containerId} has not joined`);
  const drift = await wiringDrift({
    netnsPath: local.outside.netnsPath,
    ifname: local.outside.ifname,
    hostIface: local.hostIface,
    ip: local.ip,
    gatewayIp: side.gatewayIp,
  });
  if (drift.length > 0) throw new CniError(CniCode.drifted, 'the wiring drifted', drift.join('; '));
}
