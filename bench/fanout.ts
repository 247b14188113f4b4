// 9b. Change-stream fan-out to 200 simulated cells: policy write sent → the last of 200 registered cells
// following /v1/watch has it, on SQLite and PostgreSQL.
import { startServer } from '../test/helpers/control-plane.js';
import type { TestServer } from '../test/helpers/control-plane.js';
import { guidOf, seedTenancy, wirePolicy } from '../test/helpers/fixtures.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { withScope } from './lib/cleanup.js';
import type { Scope } from './lib/cleanup.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { sleep } from './lib/proc.js';
import { startSimulatedCells } from './lib/simulated-cells.js';
import { percentileOf as p, summarize } from './lib/stats.js';

const POLICIES = '/networking/v1/external/policies';
const CELLS = 200;
const PROCESSES = 4;
// 256 /24 leases, one per cell; outside 10.255.0.0/16, which holds this machine's resolver.
const OVERLAY = '10.88.0.0/16';
const STOP_DEADLINE_MS = 30_000;

interface Samples {
  /** Write sent → the last cell has it. */
  last: number[];
  /** Write answered → the last cell has it; 0 when every cell heard before the writer. */
  afterAnswer: number[];
  /** Write sent → half the cells have it. */
  half: number[];
  /** Write sent → answered. */
  post: number[];
}

async function measure(scope: Scope, server: TestServer, writes: number): Promise<Samples> {
  const t = await seedTenancy(server);
  await server.api('PUT', `/v1/spaces/${t.spaceA.guid}/quota`, { policies: 10 * writes });
  const [src, dst] = [guidOf(t, 'a1'), guidOf(t, 'a2')];
  const cells = await startSimulatedCells(scope, server, CELLS, PROCESSES);
  const now = (): number => performance.timeOrigin + performance.now();
  const out: Samples = { last: [], afterAnswer: [], half: [], post: [] };
  for (let port = 1000; port < 1000 + writes; port++) {
    const received = cells.received(`/tcp/${port}-${port}`);
    const sent = now();
    const r = await server.api('POST', POLICIES, { policies: [wirePolicy(src, dst, port)] });
    const answered = now();
    if (r.status !== 200 && r.status !== 201)
      throw new Error(`policy write answered ${r.status}: ${JSON.stringify(r.body)}`);
    const times = await received;
    const last = Math.max(...times);
    out.post.push(answered - sent);
    out.last.push(last - sent);
    out.afterAnswer.push(Math.max(0, last - answered));
    out.half.push(p(times, 50) - sent);
  }
  return out;
}

/** One server and its cells, stopped before the next database's run so they do not compete for the CPU. */
function onServer(database: string | undefined, writes: number): Promise<Samples> {
  return withScope(async (scope) => {
    const server = await startServer({
      ...(database !== undefined && { database }),
      flags: ['--overlay', OVERLAY, '--max-policies-per-app', '100000'],
    });
    scope.defer('weft server', async () => {
      const late = sleep(STOP_DEADLINE_MS).then(() => 'late' as const);
      if ((await Promise.race([server.stop().then(() => 'stopped' as const), late])) === 'late') {
        console.error(`weft server did not stop within ${STOP_DEADLINE_MS} ms; killing it`);
        await server.kill();
      }
    });
    return measure(scope, server, writes);
  });
}

export const fanout: Scenario = {
  id: '9b',
  title: `Change-stream fan-out to ${CELLS} simulated cells: write sent → the last cell has it`,
  method: `
\`weft server\` as a child process (test/helpers/control-plane.ts) with its SQLite store, then with a private
PostgreSQL 15 cluster (fsync on), overlay ${OVERLAY} (a /24 lease for each cell). ${CELLS} simulated cells, spread
over ${PROCESSES} processes (bench/child/cell-followers.ts): each has its own cell token, registers with
PUT /v1/cells/:id and follows GET /v1/watch through the cell's own Follower and stream reader
(src/cell/follower.ts), but does nothing with the kernel; each records the wall-clock time it received
each policy change. Per write: POST /networking/v1/external/policies with one new policy (Cloud Foundry's
wire format), one at a time; the figure is the time from sending the write until the last of the ${CELLS}
cells has the change, the write's own time included (the cells often hear before the writer has its answer:
the note gives the answer → last cell, 0 when all heard first). The simulated cells share the
machine's 2 cores with the server, so the figure includes their parsing.
No peer measured: CF's policy server is polled by each cell's agent every 5 s, so CF's equivalent is 0–5 s.`,

  async run(mode, scope, figures) {
    const writes = mode.quick ? 20 : 50;
    const results: [string, Samples][] = [['SQLite', await onServer(undefined, writes)]];
    try {
      const pg = await startPostgres();
      scope.defer('postgres', () => pg.stop());
      results.push(['PostgreSQL', await onServer(await pg.url('fanout'), writes)]);
    } catch (err) {
      figures.push({
        metric: 'PostgreSQL',
        unit: '',
        better: 'lower',
        weft: null,
        note: `could not run: ${(err as Error).message}`,
      });
    }
    for (const [db, s] of results) {
      const fig = (q: number): Figure => ({
        metric: `${db}: fan-out p${q}, write sent → last of ${CELLS} cells has it`,
        unit: 'ms',
        better: 'lower',
        weft: { ...summarize(s.last), median: p(s.last, q) },
      });
      const [p50, p99] = [fig(50), fig(99)];
      p50.note =
        `over ${s.last.length} writes; the write itself took p50 ${fmt(p(s.post, 50))} ms; ` +
        `half the cells had it at p50 ${fmt(p(s.half, 50))} ms; answer → last cell ` +
        `p50 ${fmt(p(s.afterAnswer, 50))} ms, p99 ${fmt(p(s.afterAnswer, 99))} ms`;
      figures.push(p50, p99);
    }
  },
};
