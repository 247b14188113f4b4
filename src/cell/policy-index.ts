// The one place the cell reads policies: the kernel's plan and the proxy's mutual-TLS check both take
// them from here, so a flow the kernel admits and a caller the proxy admits can never disagree.
import type { L4Protocol } from '../enforcer/desired.js';
import type { Policy } from '../model/types.js';
import type { World } from './world.js';

export interface AppFlow {
  srcTag: number;
  dstTag: number;
  protocol: L4Protocol;
  startPort: number;
  endPort: number;
}

/**
 * Calls `visit` for each policy between two apps this cell knows (both tagged); a policy naming an unknown
 * app allows nothing. A visitor, not a list: at 100k policies, an object per policy per change costs more
 * than the kernel's own update.
 */
export function forEachAppFlow(world: World, visit: (policy: Policy, flow: AppFlow) => void): void {
  const apps = world.tables.app;
  for (const p of world.tables.policy.values()) {
    const srcTag = apps.get(p.sourceAppGuid)?.tag;
    const dstTag = apps.get(p.destAppGuid)?.tag;
    if (srcTag === undefined || dstTag === undefined) continue;
    visit(p, { srcTag, dstTag, protocol: p.protocol, startPort: p.startPort, endPort: p.endPort });
  }
}

/**
 * Answers "may app A reach app B on tcp PORT?" at every TLS handshake. Indexed by app pair, rebuilt only
 * when the world's revision moved, so a handshake costs a map lookup even with 100k policies.
 */
export class PolicyIndex {
  private revision = -1;
  private byPair = new Map<string, AppFlow[]>();

  constructor(private readonly world: () => World) {}

  allows(sourceAppGuid: string, destAppGuid: string, protocol: L4Protocol, port: number): boolean {
    const flows = this.index().get(pairKey(sourceAppGuid, destAppGuid)) ?? [];
    return flows.some((f) => f.protocol === protocol && f.startPort <= port && f.endPort >= port);
  }

  private index(): Map<string, AppFlow[]> {
    const world = this.world();
    if (world.revision !== this.revision) {
      const byPair = new Map<string, AppFlow[]>();
      forEachAppFlow(world, (p, f) => {
        const key = pairKey(p.sourceAppGuid, p.destAppGuid);
        const flows = byPair.get(key);
        if (flows) flows.push(f);
        else byPair.set(key, [f]);
      });
      this.byPair = byPair;
      this.revision = world.revision;
    }
    return this.byPair;
  }
}

function pairKey(source: string, dest: string): string {
  return `${source}>${dest}`;
}
