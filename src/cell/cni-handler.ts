// What the cell does for each call of the weft-cni plugin. A call naming one of weft's own instances
// (CNI_ARGS WEFT_INSTANCE=GUID) wires the namespace with the address and host link the cell allocated to it;
// a call on an app's network (its configuration names the app) is an outside container (cni-outside.ts).
import { pairMacs, unwireContainer, wireContainer, wiringDrift } from '../network/container-network.js';
import { CONTAINER_NEXT_HOP } from '../network/container-network.js';
import { addResult, CniCode, CniError, INSTANCE_ARG, type CniRequest } from '../network/cni/protocol.js';
import type { CniHandler } from '../network/cni/server.js';
import type { CellLinks } from './links.js';
import type { LocalInstance } from './local.js';
import { instanceNetnsMade } from './instance-network.js';
import { addOutside, checkOutside, delOutside, gcOutside, type OutsideSide } from './cni-outside.js';

export interface CniCellSide {
  gatewayIp: string;
  outside: OutsideSide;
  links: CellLinks;
  /** The instance of weft's own with this GUID that this cell runs or is starting. */
  ownInstance(guid: string): LocalInstance | undefined;
  /** Whether the cell has its network and the control plane's state, so an ADD can be served. */
  isReady(): boolean;
}

export function cellCniHandler(cell: CniCellSide): CniHandler {
  const instanceGuid = (req: CniRequest): string => {
    const guid = req.args.get(INSTANCE_ARG);
    if (guid === undefined)
      throw new CniError(CniCode.invalidConfig, `name an instance (CNI_ARGS ${INSTANCE_ARG}=GUID)`);
    return guid;
  };
  const wiring = (req: CniRequest) => {
    const guid = instanceGuid(req);
    const local = cell.ownInstance(guid);
    if (!local) throw new CniError(CniCode.unknownContainer, `this cell runs no instance ${guid}`);
    if (req.netns === null) throw new CniError(CniCode.invalidEnvironment, 'CNI_NETNS is required');
    return {
      netnsPath: req.netns,
      ifname: req.ifname,
      hostIface: local.hostIface,
      ip: local.ip,
      gatewayIp: cell.gatewayIp,
    };
  };
  return {
    async add(req) {
      if (req.config.app !== undefined) return addOutside(cell.outside, req, req.config.app);
      // The cell calls the plugin for its own instance while it still makes the namespace.
      await instanceNetnsMade(instanceGuid(req));
      const cfg = wiring(req);
      await wireContainer(cfg);
      const macs = pairMacs(cfg.ip);
      return addResult({
        hostIface: cfg.hostIface,
        hostMac: macs.host,
        containerMac: macs.container,
        ifname: cfg.ifname,
        netns: cfg.netnsPath,
        ip: cfg.ip,
        nextHop: CONTAINER_NEXT_HOP,
        nameserver: cell.gatewayIp,
      });
    },
    async del(req) {
      if (req.config.app !== undefined) return delOutside(cell.outside, req);
      // Needs nothing but the GUID: the instance may be long gone from the cell's memory.
      await unwireContainer({ hostIface: cell.links.container(instanceGuid(req)) });
    },
    async check(req) {
      if (req.config.app !== undefined) return checkOutside(cell.outside, req);
      const drift = await wiringDrift(wiring(req));
      if (drift.length > 0) throw new CniError(CniCode.drifted, 'the wiring drifted', drift.join('; '));
    },
    status() {
      if (!cell.isReady())
        throw new CniError(CniCode.pluginNotAvailable, 'the cell is starting: no network or state yet');
    },
    async gc(config, valid) {
      // weft's own instances are the cell's to remove, with their containers; outside ones are the runtime's.
      if (config.app !== undefined) await gcOutside(cell.outside, config.app, valid);
    },
  };
}
