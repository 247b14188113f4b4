// Simulated cells for the fan-out benchmark: each registers with its own cell token (PUT /v1/cells/:id, as a
// cell does) and follows GET /v1/watch through the cell's own Follower and stream reader, but touches no
// kernel. Run as one of several processes, so that parsing 200 streams is not what the figure measures.
// argv: API URL, CA certificate file, a JSON file of [{id, token, hostIp}]. Writes JSON lines to stdout:
// {"ready":true} once every follower has its snapshot, then one {cell, revision, key, t} per policy change
// a follower receives (t: wall clock in ms, comparable across the processes of this machine).
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { pinnedFetch } from '../../src/ca/pinned-fetch.js';
import { Follower } from '../../src/cell/follower.js';
import { ApiEndpoints } from '../../src/endpoints/failover.js';

interface SimulatedCell {
  id: string;
  token: string;
  hostIp: string;
}

const [url = '', caFile = '', cellsFile = ''] = process.argv.slice(2);
const cells = JSON.parse(readFileSync(cellsFile, 'utf8')) as SimulatedCell[];
const fetch = pinnedFetch(readFileSync(caFile, 'utf8'));
const logger = pino({ level: 'warn' }, pino.destination(2));
const now = (): number => performance.timeOrigin + performance.now();
const emit = (m: object): void => void process.stdout.write(`${JSON.stringify(m)}\n`);

async function register(cell: SimulatedCell): Promise<void> {
  const res = await fetch(`${url}/v1/cells/${cell.id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${cell.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ hostIp: cell.hostIp }),
  });
  if (!res.ok) throw new Error(`registering ${cell.id}: ${res.status} ${await res.text()}`);
}

/** Follows the stream as a cell; resolves once its first snapshot arrived. */
function follow(cell: SimulatedCell): Promise<void> {
  let revision = 0;
  return new Promise((resolve) => {
    const follower = new Follower(
      new ApiEndpoints([url]),
      fetch,
      cell.token,
      cell.id,
      {
        onMessage: (m) => {
          if (m.type === 'snapshot') {
            revision = m.snapshot.revision;
            resolve();
          } else if (m.type === 'change') {
            revision = m.change.revision;
            if (m.change.kind === 'policy' && m.change.op === 'put')
              emit({ cell: cell.id, revision, key: m.change.key, t: now() });
          }
        },
        onConnected: () => undefined,
        revision: () => revision,
      },
      logger,
    );
    void follower.run();
  });
}

async function main(): Promise<void> {
  for (const cell of cells) await register(cell);
  await Promise.all(cells.map(follow));
  emit({ ready: true });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
