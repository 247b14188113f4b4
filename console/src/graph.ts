// Draws the policy graph with cytoscape. Two clicks pick a source and a destination app; `onPair` then
// asks explain about them. A list of the same nodes and edges beside the canvas serves keyboards, screen
// readers and tests, which cannot read a canvas.
import cytoscape from 'cytoscape';
import { el } from './dom.js';
import type { GraphEdge, GraphNode } from './graph-elements.js';

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'background-color': '#3b6fd4',
      color: '#1d2330',
      'font-size': 12,
      'text-valign': 'bottom',
      'text-margin-y': 4,
    },
  },
  { selector: 'node.foreign', style: { 'background-color': '#9aa3b5' } },
  {
    selector: 'node.space',
    style: {
      'background-color': '#eef2fa',
      'border-color': '#b8c4dd',
      'border-width': 1,
      'text-valign': 'top',
      'font-weight': 'bold',
    },
  },
  { selector: 'node.source', style: { 'background-color': '#17803d' } },
  { selector: 'node.destination', style: { 'background-color': '#8a4bd1' } },
  {
    selector: 'edge',
    style: {
      label: 'data(label)',
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      width: 2,
      'line-color': '#5b6b8c',
      'target-arrow-color': '#5b6b8c',
      'font-size': 11,
      'text-background-color': '#f4f6f9',
      'text-background-opacity': 1,
    },
  },
  {
    selector: 'edge.denied',
    style: {
      'line-color': '#d11a2a',
      'target-arrow-color': '#d11a2a',
      'line-style': 'dashed',
      color: '#b00020',
    },
  },
];

const PADDING = 30;

export class PolicyGraph {
  private readonly cy: cytoscape.Core;
  private picked: string[] = [];
  private readonly list: HTMLElement;

  constructor(
    container: HTMLElement,
    private readonly onPair: (source: string, destination: string) => void,
  ) {
    this.cy = cytoscape({ container, style: STYLE, wheelSensitivity: 0.3, minZoom: 0.3, maxZoom: 3 });
    this.cy.on('tap', 'node.app, node.foreign', (e) => this.pick((e.target as cytoscape.NodeSingular).id()));
    this.cy.on('viewport layoutstop', () => this.placeListItems());
    // cytoscape sizes its canvas to the container only on window resizes; the panels below it change
    // the container's height too (an explain answer, the lists), so follow the container itself.
    new ResizeObserver(() => {
      this.cy.resize();
      this.cy.fit(undefined, PADDING);
    }).observe(container);
    this.list = el('div', { class: 'graph-list' });
    container.after(this.list);
  }

  show(nodes: GraphNode[], edges: GraphEdge[]): void {
    const elements: cytoscape.ElementDefinition[] = [
      ...nodes.map((n) => ({ data: { id: n.id, label: n.label, parent: n.parent }, classes: n.kind })),
      ...edges.map((e) => ({
        data: { id: e.id, source: e.source, target: e.target, label: e.label },
        classes: e.kind,
      })),
    ];
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(elements);
    });
    this.cy
      .layout({ name: 'cose', animate: false, padding: PADDING, nodeDimensionsIncludeLabels: true })
      .run();
    this.mark();
    this.renderList(nodes, edges);
  }

  pick(id: string): void {
    this.picked = this.picked.length >= 2 ? [id] : [...this.picked, id];
    this.mark();
    const [source, destination] = this.picked;
    if (source !== undefined && destination !== undefined) this.onPair(source, destination);
  }

  private mark(): void {
    this.cy.nodes().removeClass('source destination');
    const [source, destination] = this.picked;
    if (source !== undefined) this.cy.getElementById(source).addClass('source');
    if (destination !== undefined) this.cy.getElementById(destination).addClass('destination');
  }

  private renderList(nodes: GraphNode[], edges: GraphEdge[]): void {
    const label = new Map(nodes.map((n) => [n.id, n.label]));
    const nodeItems = nodes
      .filter((n) => n.kind !== 'space')
      .map((n) => el('li', {}, el('button', { class: 'graph-node', data: { node: n.id } }, n.label)));
    for (const item of nodeItems) {
      const button = item.firstElementChild as HTMLButtonElement;
      button.type = 'button';
      button.addEventListener('click', () => this.pick(button.dataset.node ?? ''));
    }
    const edgeItems = edges.map((e) =>
      el(
        'li',
        { class: `graph-edge ${e.kind}`, data: { source: e.source, target: e.target } },
        `${label.get(e.source) ?? e.source} → ${label.get(e.target) ?? e.target}: ${e.label}`,
      ),
    );
    this.list.replaceChildren(
      el('h3', {}, 'Apps'),
      el('ul', { class: 'graph-nodes' }, ...nodeItems),
      el('h3', {}, 'Policies and denied flows'),
      el('ul', { class: 'graph-edges' }, ...edgeItems),
    );
    this.placeListItems();
  }

  /** Where each app sits on the canvas, so a click at that point can be aimed (tests do). */
  private placeListItems(): void {
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button.graph-node')) {
      const node = this.cy.getElementById(button.dataset.node ?? '');
      if (node.empty()) continue;
      const p = node.renderedPosition();
      button.dataset.x = String(Math.round(p.x));
      button.dataset.y = String(Math.round(p.y));
    }
  }
}
