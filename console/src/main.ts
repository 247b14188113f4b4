// The console's entry: log in with a token, load what it may see, draw it, follow denied flows, explain.
import type { Explanation } from '../../src/contract/explain.js';
import type { Flow } from '../../src/contract/flows.js';
import { byId, el } from './dom.js';
import { renderExplanation } from './explain-view.js';
import { DeniedFlows, renderFlows } from './flows.js';
import { graphOf } from './graph-elements.js';
import { PolicyGraph } from './graph.js';
import { renderInventory } from './inventory.js';
import { loadModel, type Model } from './model.js';
import { apiGet, forgetToken, savedToken, saveToken, Unauthorized } from './session.js';

let following: DeniedFlows | null = null;
/** The logged-in session's token and app names, which the graph's clicks explain with. */
let session: { token: string; names: Map<string, string> } | null = null;
let graph: PolicyGraph | null = null;

function showLogin(message: string): void {
  following?.stop();
  following = null;
  session = null;
  forgetToken();
  byId('console').hidden = true;
  byId('logout').hidden = true;
  byId('who').textContent = '';
  byId('login').hidden = false;
  byId('login-error').textContent = message;
}

async function open(token: string): Promise<void> {
  let model: Model;
  try {
    model = await loadModel(token);
  } catch (err) {
    showLogin(err instanceof Unauthorized ? 'That token is not valid.' : `Cannot load: ${String(err)}`);
    return;
  }
  saveToken(token);
  byId('login').hidden = true;
  byId('console').hidden = false;
  byId('logout').hidden = false;
  byId('who').textContent = `${model.you.name} (${model.you.role})`;
  byId('inventory').replaceChildren(...renderInventory(model, Date.now()));

  session = { token, names: new Map(model.apps.map((a) => [a.guid, a.name])) };
  byId('explain').replaceChildren();
  graph ??= new PolicyGraph(byId('graph'), (source, destination) => {
    if (session !== null) void explain(session.token, source, destination, session.names, byId('explain'));
  });
  const shown = graph;
  let drawnEdges: string | null = null;
  const draw = (denied: Flow[]) => {
    const { nodes, edges } = graphOf(model, denied);
    const key = edges.map((e) => e.id).join('\n');
    if (key === drawnEdges) return;
    drawnEdges = key;
    shown.show(nodes, edges);
  };
  draw([]);
  following = new DeniedFlows(
    token,
    (flows) => {
      byId('flow-list').replaceChildren(...renderFlows(flows));
      draw(flows);
    },
    (err) => {
      if (err instanceof Unauthorized) showLogin('The token is no longer valid.');
      else byId('flow-list').replaceChildren(el('li', {}, `Cannot read flows: ${String(err)}`));
    },
  );
  following.start();
}

async function explain(
  token: string,
  source: string,
  destination: string,
  names: Map<string, string>,
  box: HTMLElement,
): Promise<void> {
  const protocol = byId<HTMLSelectElement>('explain-protocol').value;
  const port = byId<HTMLInputElement>('explain-port').value;
  const query = new URLSearchParams({ source, destination, protocol, port });
  box.replaceChildren(el('p', {}, 'Explaining…'));
  try {
    const answer = await apiGet<Explanation>(token, `/v1/explain?${query.toString()}`);
    const label = (guid: string) => names.get(guid) ?? guid;
    box.replaceChildren(
      ...renderExplanation(label(source), label(destination), `${protocol} ${port}`, answer),
    );
  } catch (err) {
    if (err instanceof Unauthorized) showLogin('The token is no longer valid.');
    else box.replaceChildren(el('p', { class: 'verdict-denied' }, `Cannot explain: ${String(err)}`));
  }
}

byId<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = byId<HTMLInputElement>('token');
  const token = input.value.trim();
  input.value = '';
  void open(token);
});
byId('logout').addEventListener('click', () => showLogin(''));

const token = savedToken();
if (token !== null) void open(token);
