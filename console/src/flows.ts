// Follows the denied-flow log: polls GET /v1/flows from where the last page ended, keeps the newest.
import type { Flow, FlowPage } from '../../src/contract/flows.js';
import { el } from './dom.js';
import { apiGet } from './session.js';

const KEEP = 200;
const POLL_MS = 2_000;

export class DeniedFlows {
  private next = 0;
  private timer: number | undefined;
  flows: Flow[] = [];

  constructor(
    private readonly token: string,
    private readonly onChange: (flows: Flow[]) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    void this.poll();
  }

  stop(): void {
    window.clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      const page = await apiGet<FlowPage>(
        this.token,
        `/v1/flows?verdict=DENIED&since=${this.next}&limit=1000`,
      );
      this.next = page.next;
      if (page.flows.length > 0) {
        this.flows = [...this.flows, ...page.flows].slice(-KEEP);
        this.onChange(this.flows);
      }
    } catch (err) {
      this.onError(err);
      return;
    }
    this.timer = window.setTimeout(() => void this.poll(), POLL_MS);
  }
}

export function renderFlows(flows: Flow[]): Node[] {
  return [...flows]
    .reverse()
    .map((f) =>
      el(
        'li',
        { class: 'flow' },
        `${f.time} ${f.protocol} `,
        el('strong', {}, end(f.src)),
        ' → ',
        el('strong', {}, end(f.dst)),
        `:${f.dst.port} denied (cell ${f.cellId})`,
      ),
    );
}

function end(e: Flow['src']): string {
  return e.appName === null ? e.ip : `${e.appName}/${e.instanceIndex ?? '?'} (${e.ip})`;
}
