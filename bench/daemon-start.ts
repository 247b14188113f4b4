// 10. Start time and memory of `weft server` and `weft cell`, compiled (`npm run build`, what bin/weft
// runs) beside the same code run from source through tsx's loader (what bin/weft ran before the build step).
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scope } from './lib/cleanup.js';
import { daemon, rssMiB, sh, sleep, tempDir, waitForLine } from './lib/proc.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { summarize } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OVERLAY = '10.77.0.0/16';
const TABLE = 'weft_bstart';
// Memory once the start's garbage has had a moment to go.
const SETTLE_MS = 1000;

type Build = 'compiled' | 'source';

/** node's arguments for each, exactly as bin/weft runs them. */
function nodeArgs(build: Build, args: string[]): string[] {
  return build === 'compiled'
    ? ['--enable-source-maps', path.join(ROOT, 'dist/main.js'), ...args]
    : [
        '--import',
        path.join(ROOT, 'node_modules/tsx/dist/loader.mjs'),
        path.join(ROOT, 'src/main.ts'),
        ...args,
      ];
}

interface Sample {
  ms: number;
  rss: number;
}

/** Ends the daemon and waits for it: the next start must not find its port, table or socket taken. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function answers(url: string, caPem: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${url}/v1/info`, { ca: caPem }, (res) => {
      res.resume();
      resolve();
    });
    req.once('error', reject);
  });
}

async function serverSample(scope: Scope, build: Build, home: string): Promise<Sample> {
  const t0 = performance.now();
  const child = daemon(
    scope,
    process.execPath,
    nodeArgs(build, ['server', '--listen', '127.0.0.1:0', '--overlay', OVERLAY]),
    { env: { ...process.env, WEFT_HOME: home, WEFT_LOG_LEVEL: 'warn' } },
  );
  try {
    const url = (await waitForLine(child, /listening on (https:\/\/\S+)/))[1] ?? '';
    await answers(url, readFileSync(path.join(home, 'ca/ca.crt'), 'utf8'));
    const ms = performance.now() - t0;
    await sleep(SETTLE_MS);
    return { ms, rss: rssMiB(child.pid ?? 0) };
  } finally {
    await stop(child);
  }
}

async function cellSample(
  scope: Scope,
  build: Build,
  server: { url: string; home: string },
  work: string,
): Promise<Sample> {
  const t0 = performance.now();
  const args = [
    'cell',
    '--id',
    'bench-start',
    '--api',
    server.url,
    '--ca-cert',
    path.join(server.home, 'ca/ca.crt'),
  ];
  args.push('--token-file', path.join(server.home, 'admin-token'), '--cleanup', '--table', TABLE);
  args.push('--iface-prefix', 'wbs', '--cni-socket', path.join(work, 'cni.sock'));
  const child = daemon(scope, process.execPath, nodeArgs(build, args), {
    env: { ...process.env, WEFT_HOME: path.join(work, 'cell-home'), WEFT_LOG_LEVEL: 'warn' },
  });
  try {
    await waitForLine(child, /weft cell \S+ running/, 120_000);
    const ms = performance.now() - t0;
    await sleep(SETTLE_MS);
    return { ms, rss: rssMiB(child.pid ?? 0) };
  } finally {
    await stop(child);
  }
}

/** Alternates the two builds, so that whatever else the machine does weighs on both alike. */
async function alternate(
  rounds: number,
  sample: (build: Build) => Promise<Sample>,
): Promise<Record<Build, Sample[]>> {
  const out: Record<Build, Sample[]> = { compiled: [], source: [] };
  for (let i = 0; i < rounds; i++) {
    for (const build of i % 2 === 0 ? (['compiled', 'source'] as const) : (['source', 'compiled'] as const)) {
      out[build].push(await sample(build));
    }
  }
  return out;
}

function figuresOf(name: string, samples: Record<Build, Sample[]>, ready: string): Figure[] {
  const peer = (pick: (s: Sample) => number) => ({
    name: 'from source (tsx)',
    value: summarize(samples.source.map(pick)),
  });
  return [
    {
      metric: `weft ${name} start (spawn → ${ready}), compiled`,
      unit: 'ms',
      better: 'lower',
      weft: summarize(samples.compiled.map((s) => s.ms)),
      peer: peer((s) => s.ms),
    },
    {
      metric: `weft ${name} memory once ready (RSS), compiled`,
      unit: 'MiB',
      better: 'lower',
      weft: summarize(samples.compiled.map((s) => s.rss)),
      peer: peer((s) => s.rss),
    },
  ];
}

export const daemonStart: Scenario = {
  id: '10',
  title: 'Daemon start time and memory: compiled vs from source',
  method: `
Each daemon started again and again with node, alternately compiled (\`npm run build\`: \`node
--enable-source-maps dist/main.js\`, what bin/weft runs once the build is current) and from source (\`node
--import tsx/dist/loader.mjs src/main.ts\`, what bin/weft ran before), as bin/weft runs each (its bash launcher
adds an exec and one \`find\` over src/, not measured). \`weft server\`: SQLite, its home made by a first
start that is not counted; spawn → its HTTPS API answers GET /v1/info. \`weft cell\`: against that server,
--cleanup, its own nft table and links; spawn → it prints that it runs (nft table, HAProxy, DNS, flow log
and the change stream set up; no instance). RSS of the node process ${SETTLE_MS / 1000} s after ready.
The peer column is the same code from source.`,

  async run(mode, scope, figures) {
    if (!existsSync(path.join(ROOT, 'dist/build-info.json'))) {
      throw new Error('no build in dist/: run npm run build (scripts/bench runs it through scripts/setup)');
    }
    const rounds = mode.quick ? 3 : 8;
    const work = tempDir(scope, 'weft-bench-start-');
    scope.defer(`nft table ${TABLE}`, () =>
      sh('nft', ['delete', 'table', 'inet', TABLE]).catch(() => undefined),
    );
    const home = path.join(work, 'server-home');
    // The first start makes the CA, the admin token and the database; a service's starts find them.
    await serverSample(scope, 'compiled', home);
    figures.push(
      ...figuresOf('server', await alternate(rounds, (b) => serverSample(scope, b, home)), 'API answers'),
    );

    const server = daemon(
      scope,
      process.execPath,
      nodeArgs('compiled', ['server', '--listen', '127.0.0.1:0', '--overlay', OVERLAY]),
      {
        env: { ...process.env, WEFT_HOME: home, WEFT_LOG_LEVEL: 'warn' },
      },
    );
    const url = (await waitForLine(server, /listening on (https:\/\/\S+)/))[1] ?? '';
    const cells = await alternate(rounds, (b) => cellSample(scope, b, { url, home }, work));
    figures.push(...figuresOf('cell', cells, 'running'));
    await stop(server);
  },
};
