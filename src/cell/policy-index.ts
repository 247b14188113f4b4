// The one place the cell reads policies: the kernel's plan and the proxy's mutual-TLS callers both take
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
 * Answers "may app A reach app B on tcp PORT?" and "which apps may reach B?". Indexed by app pair, rebuilt
 * only when the world's revision moved, so an answer costs map lookups even with 100k policies.
 */
export class PolicyIndex {
  private revision = -1;
  private byPair = new Map<string, AppFlow[]>();
  /** Source app GUIDs with at least one policy to each destination app. */
  private sources = new Map<string, Set<string>>();

  constructor(private readonly world: () => World) {}

  allows(sourceAppGuid: string, destAppGuid: string, protocol: L4Protocol, port: number): boolean {
    const flows = this.index().get(pairKey(sourceAppGuid, destAppGuid)) ?? [];
    return flows.some((f) => f.protocol === protocol && f.startPort <= port && f.endPort >= port);
  }

  /** The apps a policy lets reach `destAppGuid` on `protocol` `port`: what the proxy admits over mutual TLS. */
  callersOf(destAppGuid: string, protocol: L4Protocol, port: number): Set<string> {
    this.index();
    const sources = this.sources.get(destAppGuid) ?? [];
    return new Set([...sources].filter((source) => this.allows(source, destAppGuid, protocol, port)));
  }

  private index(): Map<string, AppFlow[]> {
    const world = this.world();
    if (world.revision !== this.revision) {
      const byPair = new Map<string, AppFlow[]>();
      const sources = new Map<string, Set<string>>();
      forEachAppFlow(world, (p, f) => {
        const ofDest = sources.get(p.destAppGuid);
        if (ofDest) ofDest.add(p.sourceAppGuid);
        else sources.set(p.destAppGuid, new Set([p.sourceAppGuid]));
        const key = pairKey(p.sourceAppGuid, p.destAppGuid);
        const flows = byPair.get(key);
        if (flows) flows.push(f);
        else byPair.set(key, [f]);
      });
      this.byPair = byPair;
      this.sources = sources;
      this.revision = world.revision;
    }
    return this.byPair;
  }
}

function pairKey(source: string, dest: string): string {
  return `${source}>${dest}`;
}
