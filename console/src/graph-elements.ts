// The policy graph as data: apps as nodes inside their spaces, one edge per policy labelled with its
// protocol and ports, and an edge per source → destination pair that the flow log saw denied.
import type { Flow } from '../../src/contract/flows.js';
import type { WirePolicy } from '../../src/contract/policies.js';
import type { App, Space } from '../../src/contract/resources.js';

export interface GraphNode {
  id: string;
  label: string;
  parent?: string;
  kind: 'space' | 'app' | 'foreign';
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label: string;
  kind: 'policy' | 'denied';
}

const FOREIGN = 'an app you cannot see';

export function portLabel(protocol: string, start: number, end: number): string {
  return `${protocol} ${start === end ? String(start) : `${start}-${end}`}`;
}

export interface GraphInput {
  spaces: Space[];
  apps: App[];
  policies: WirePolicy[];
}

export function graphOf(model: GraphInput, denied: Flow[]) {
  const nodes = new Map<string, GraphNode>();
  for (const s of model.spaces)
    nodes.set(`space:${s.guid}`, { id: `space:${s.guid}`, label: s.name, kind: 'space' });
  for (const a of model.apps) {
    nodes.set(a.guid, { id: a.guid, label: a.name, parent: `space:${a.spaceGuid}`, kind: 'app' });
  }
  // A policy or flow may name an app outside the caller's spaces: it shows, unnamed unless the API named it.
  const ensure = (guid: string, name: string | null) => {
    if (!nodes.has(guid)) nodes.set(guid, { id: guid, label: name ?? FOREIGN, kind: 'foreign' });
  };
  const edges = new Map<string, GraphEdge>();
  for (const p of model.policies) {
    ensure(p.source.id, null);
    ensure(p.destination.id, null);
    const label = portLabel(p.destination.protocol, p.destination.ports.start, p.destination.ports.end);
    const id = `policy:${p.source.id}>${p.destination.id}/${label}`;
    edges.set(id, { id, source: p.source.id, target: p.destination.id, label, kind: 'policy' });
  }
  for (const f of denied) {
    if (f.src.appGuid === null || f.dst.appGuid === null) continue;
    ensure(f.src.appGuid, f.src.appName);
    ensure(f.dst.appGuid, f.dst.appName);
    const label = `denied ${portLabel(f.protocol, f.dst.port, f.dst.port)}`;
    const id = `denied:${f.src.appGuid}>${f.dst.appGuid}/${label}`;
    edges.set(id, { id, source: f.src.appGuid, target: f.dst.appGuid, label, kind: 'denied' });
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
