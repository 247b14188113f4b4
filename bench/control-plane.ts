// 9. Control plane: policy writes/s through the CF policy API, and change-stream fan-out (write sent →
// every /v1/watch follower has it), on SQLite and PostgreSQL.
import { startServer } from '../test/helpers/control-plane.js';
import type { TestServer } from '../test/helpers/control-plane.js';
import { guidOf, seedTenancy, wirePolicy } from '../test/helpers/fixtures.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { watch } from '../test/helpers/watch.js';
import type { Watch } from '../test/helpers/watch.js';
import type { Scope } from './lib/cleanup.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentile, summarize } from './lib/stats.js';

const POLICIES = '/networking/v1/external/policies';

async function post(server: TestServer, body: unknown): Promise<void> {
  const r = await server.api('POST', POLICIES, body);
  if (r.status !== 200 && r.status !== 201)
    throw new Error(`policy write answered ${r.status}: ${JSON.stringify(r.body)}`);
}

interface Result {
  sequential: number;
  concurrent: number;
  /** Write sent → the last follower has the change. */
  fanout: number[];
  /** Write sent → its HTTP answer: followers often hear first. */
  acks: number[];
}

async function measure(
  server: TestServer,
  writes: number,
  followers: number,
  samples: number,
): Promise<Result> {
  const t = await seedTenancy(server);
  // Every write adds a policy in space A: more than its default quota holds.
  await server.api('PUT', `/v1/spaces/${t.spaceA.guid}/quota`, { policies: 10 * writes });
  const [src, dst] = [guidOf(t, 'a1'), guidOf(t, 'a2')];
  let port = 1000;
  const next = () => ({ policies: [wirePolicy(src, dst, port++)] });

  let t0 = performance.now();
  for (let i = 0; i < writes; i++) await post(server, next());
  const sequential = writes / ((performance.now() - t0) / 1000);

  const CONCURRENCY = 8;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < writes / CONCURRENCY; i++) await post(server, next());
    }),
  );
  const concurrent = writes / ((performance.now() - t0) / 1000);

  const watches: Watch[] = [];
  try {
    for (let i = 0; i < followers; i++) watches.push(await watch(server, 0));
    await Promise.all(watches.map((w) => w.until((m) => m.type === 'snapshot', 'snapshot')));
    const fanout: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < samples; i++) {
      const key = port;
      const seen = watches.map((w) =>
        w
          .until(
            (m) => m.type === 'change' && m.change.kind === 'policy' && m.change.key.includes(String(key)),
            `policy ${key}`,
          )
          .then(() => performance.now()),
      );
      const sent = performance.now();
      await post(server, next());
      acks.push(performance.now() - sent);
      fanout.push(Math.max(...(await Promise.all(seen))) - sent);
    }
    return { sequential, concurrent, fanout, acks };
  } finally {
    watches.forEach((w) => w.close());
  }
}

async function onServer(
  scope: Scope,
  database: string | undefined,
  args: [number, number, number],
): Promise<Result> {
  const server = await startServer({
    ...(database !== undefined && { database }),
    flags: ['--max-policies-per-app', '100000'],
  });
  scope.defer('weft server', () => server.stop());
  return measure(server, ...args);
}

export const controlPlane: Scenario = {
  id: '9',
  title: 'Control plane: policy writes/s and change-stream fan-out',
  method: `
\`weft server\` as a child process (test/helpers/control-plane.ts) with its SQLite store, then with a private
PostgreSQL 15 cluster (test/helpers/postgres.ts, fsync on). Writes: POST /networking/v1/external/policies
with one new policy each (Cloud Foundry's wire format), one at a time and 8 at a time → writes/s.
Fan-out: several /v1/watch followers (as cells follow it); for each write, the time from sending it until
the last follower has received the change, beside the time until the writer has its HTTP answer (the
followers often hear of a change before the writer does).
No peer measured: CF's policy server is polled by each cell's agent every 5 s, so CF's equivalent of the
fan-out delay is 0–5 s.`,

  async run(mode, scope, figures) {
    const args: [number, number, number] = mode.quick ? [200, 5, 20] : [1000, 10, 50];
    const results: [string, Result][] = [['SQLite', await onServer(scope, undefined, args)]];
    try {
      const pg = await startPostgres();
      scope.defer('postgres', () => pg.stop());
      results.push(['PostgreSQL', await onServer(scope, await pg.url('bench'), args)]);
    } catch (err) {
      figures.push({
        metric: 'PostgreSQL',
        unit: '',
        better: 'lower',
        weft: null,
        note: `could not run: ${(err as Error).message}`,
      });
    }
    for (const [db, r] of results) {
      const one = (x: number) => ({ n: 1, median: x, p10: x, p90: x, min: x, max: x });
      const sorted = [...r.fanout].sort((a, b) => a - b);
      const fan: Figure = {
        metric: `${db}: fan-out p50, write sent → last of ${args[1]} followers has it`,
        unit: 'ms',
        better: 'lower',
        weft: summarize(r.fanout),
        note:
          `p99 ${fmt(percentile(sorted, 99))} ms over ${r.fanout.length} writes; ` +
          `write sent → HTTP answer p50 ${fmt(summarize(r.acks).median)} ms`,
      };
      figures.push(
        {
          metric: `${db}: policy writes/s, sequential`,
          unit: '/s',
          better: 'higher',
          weft: one(r.sequential),
        },
        {
          metric: `${db}: policy writes/s, 8 concurrent`,
          unit: '/s',
          better: 'higher',
          weft: one(r.concurrent),
        },
        fan,
      );
    }
  },
};
