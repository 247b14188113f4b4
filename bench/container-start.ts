// 8. Container start: POST /v1/apps answered → the new instance answers on 8080 and on 61443, minus what a
// bare `node server.js` takes from spawn to answering; the rest is weft's own cost per instance.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { containerCgroup } from '../src/runtime/container.js';
import { cgroupMountsFromMountinfo } from '../src/runtime/cgroup.js';
import { freePort } from '../test/helpers/ports.js';
import { httpAnswers, until } from './lib/attempts.js';
import type { Pace } from './lib/attempts.js';
import type { Scope } from './lib/cleanup.js';
import { untilNoFlows } from './lib/conntrack.js';
import { startProbe } from './lib/netns-probe.js';
import type { NetnsProbe } from './lib/netns-probe.js';
import { sh, sleep } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { summarize } from './lib/stats.js';
import { ensureStack, stacksDir } from '../src/runtime/stack/stack.js';
import { HTTP_APP, netnsOf, startWeft, wirePolicy } from './lib/weft-up.js';
import type { InstanceInfo, WeftUp } from './lib/weft-up.js';

// Paced, not spinning: a busy prober would take CPU from the process it waits for (2 cores).
const PACE: Pace = { everyMs: 2, maxInFlight: 1, giveUpMs: 60_000 };

/** Spawn → first 200 on loopback for examples/http-app run as a plain process; it is stopped after. */
async function bareStart(scope: Scope): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['server.js'], {
    cwd: HTTP_APP,
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  scope.defer('stop bare node', () => child.kill('SIGKILL'));
  try {
    await until('bare node', () => httpAnswers('127.0.0.1', port, 200), PACE);
    return performance.now() - t0;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/**
 * `podman run` of the same app on the same stack (weft's root filesystem, an overlay over it), spawn →
 * first 200 on loopback. Host networking: podman sets up no network, where weft wires a veth, routes,
 * policy and 61443; podman's own CNI/netavark path would add to its time, not weft's.
 */
async function podmanStart(scope: Scope, rootfs: string, round: number): Promise<number> {
  const port = await freePort();
  const name = `weft-bench-podman-${process.pid}-${round}`;
  const t0 = performance.now();
  // runc and explicit limits: crun refuses hybrid cgroups, and this host refuses podman's default rlimits.
  const child = spawn(
    'podman',
    [
      '--runtime',
      'runc',
      'run',
      '--rm',
      '--name',
      name,
      '--network',
      'host',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=4096:4096',
      '--user',
      '2000:2000',
      '-e',
      `PORT=${port}`,
      '-v',
      `${HTTP_APP}:/home/vcap/app:ro`,
      '-w',
      '/home/vcap/app',
      '--rootfs',
      `${rootfs}:O`,
      'node',
      'server.js',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  scope.defer('remove the podman container', () =>
    sh('podman', ['rm', '-f', '-t', '0', name]).catch(() => ''),
  );
  try {
    await until('podman run', () => httpAnswers('127.0.0.1', port, 200), PACE);
    return performance.now() - t0;
  } finally {
    await sh('podman', ['rm', '-f', '-t', '0', name]).catch(() => '');
    await exited;
  }
}

interface WeftStart {
  ip: number;
  http: number;
  https: number;
  /** The container's cgroup memory (the app, its writable layer, kernel memory) once it answers, MiB. */
  memoryMib: number | null;
}

/** The memory the container's cgroup holds now: v1's memory hierarchy, else v2's; null if neither has it. */
async function containerMemoryMib(guid: string): Promise<number | null> {
  const mounts = cgroupMountsFromMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  const files = [
    ...(mounts.v1Memory ? [path.join(mounts.v1Memory, containerCgroup(guid), 'memory.usage_in_bytes')] : []),
    ...mounts.v2.map((m) => path.join(m, containerCgroup(guid), 'memory.current')),
  ];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => null);
    if (text !== null) return Number(text.trim()) / 2 ** 20;
  }
  return null;
}

/** POST answered → IP known, → 8080 and 61443 answer app-a (after policies posted at once). */
async function weftStart(
  weft: WeftUp,
  probe: NetnsProbe,
  prober: { app: string; ip: string },
  name: string,
): Promise<WeftStart> {
  const app = { guid: await weft.create(name, 1) };
  await weft.api('PATCH', `/v1/apps/${app.guid}`, { state: 'STARTED' });
  const answered = performance.now();
  const policy = weft.api('POST', '/networking/v1/external/policies', {
    policies: [wirePolicy(prober.app, app.guid, 8080), wirePolicy(prober.app, app.guid, 61443)],
  });
  let instance: (InstanceInfo & { ip: string }) | undefined;
  await until(
    'instance IP',
    async () => {
      const [i] = await weft.api<InstanceInfo[]>('GET', `/v1/apps/${app.guid}/instances`);
      if (i?.ip) instance = { ...i, ip: i.ip };
      return instance !== undefined;
    },
    { everyMs: 10, maxInFlight: 1, giveUpMs: 60_000 },
  );
  const { ip, guid } = instance!;
  const ipKnown = performance.now() - answered;
  const asked = performance.now();
  const http = asked - answered + (await probe.request({ op: 'http', host: ip, port: 8080 }));
  // 61443 forwards to 8080, so it is asked once 8080 answers: a handshake per attempt before then would take
  // CPU from the app it waits for.
  const httpsAsked = performance.now();
  const https =
    httpsAsked - answered + (await probe.request({ op: 'https', host: ip, port: 61443, servername: guid }));
  const result = {
    ip: ipKnown,
    http,
    https,
    memoryMib: await containerMemoryMib(guid),
  };
  await policy;
  await weft.api('DELETE', `/v1/apps/${app.guid}`);
  await untilGone(netnsOf(guid));
  await untilNoFlows(prober.ip, ip);
  return result;
}

/** Rounds start on a quiet cell: the previous instance's container and namespace are gone. */
async function untilGone(netns: string): Promise<void> {
  const end = performance.now() + 30_000;
  while ((await sh('ip', ['netns', 'list'])).includes(netns)) {
    if (performance.now() > end) throw new Error(`${netns} still there 30 s after its app was deleted`);
    await sleep(50);
  }
}

/** The container's own memory; the cell's share per instance (proxy slot, state) is in scenario 12. */
function memoryFigure(starts: WeftStart[]) {
  const mib = starts.flatMap((s) => (s.memoryMib === null ? [] : [s.memoryMib]));
  if (mib.length === 0) return [];
  return [
    {
      metric: "memory an instance adds: its container's cgroup (app, writable layer) once it answers",
      unit: 'MiB',
      better: 'lower' as const,
      weft: summarize(mib),
    },
  ];
}

const ms = (xs: number[]): string =>
  `p50 ${fmt(summarize(xs).median)} ms (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

export const containerStart: Scenario = {
  id: '8',
  title:
    'Container start: push answered → instance answers on 8080 and 61443, beside podman run and a bare node start',
  method: `
A real \`weft up\` (as in 2b) running app-a, with a probe in app-a's network namespace. Per round, in turn:
- bare: \`node server.js\` of examples/http-app spawned as a plain process on the host; the time from spawn
  to the first HTTP 200 on 127.0.0.1, polled every 2 ms;
- podman: \`podman run\` (runc, host networking) of the same app on weft's own stack (an overlay over the
  stack's root filesystem, the app bind-mounted read-only, a non-root user), spawn → the first HTTP 200 on
  127.0.0.1; podman sets up no network here, where weft wires veth, routes, policy and 61443;
- weft: POST /v1/apps (examples/http-app, 1 instance) and, as soon as it answers, POST tcp/8080 and
  tcp/61443 policies app-a → the new app (the host itself reaches no container); GET
  /v1/apps/:guid/instances every 10 ms until the instance has an IP; then from app-a's namespace HTTP GET to
  INSTANCE_IP:8080 every 2 ms until it answers 200 (up to 32 attempts in flight, each given 200 ms: one whose
  SYN was dropped while the policies reached the kernel does not hold the later ones back), then HTTPS GET to INSTANCE_IP:61443 (verified against
  the platform CA, SNI = the instance GUID, which the certificate always carries) every 2 ms until it answers
  200 too. 61443 forwards to 8080, so asking it sooner would only spend handshakes, here and in the proxy,
  on the CPU the app needs to start. The app is deleted after each round; the next one starts once its namespace
  is gone and the cell's conntrack sweep of app-a's flows to it is done (see 2b).
Once both answer, the container's cgroup memory (v1 memory.usage_in_bytes, or v2 memory.current) is read:
what the instance itself adds to the host (the cell's share of its proxy slot is in 12).
The weft time counts from the POST's answer to the later of the two answers; weft's overhead per instance is
that minus the same round's bare start: namespaces, veth and routes, two key pairs and certificates from the
control plane, the proxy's listeners, the kernel rules and the container itself. No peer: a Cloud Foundry
start (staging aside) goes through the auctioneer, a cell's rep and Garden, and takes seconds.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 4 : 10;
    const weft = await startWeft(scope, 's');
    const a = await weft.push('app-a', 1);
    const ia = await weft.waitRunning(a);
    const probe = await startProbe(scope, ia.netns, weft.caPath);
    const bare: number[] = [];
    const starts: WeftStart[] = [];
    const overhead: number[] = [];
    const podman: number[] = [];
    const stack = await ensureStack(stacksDir(), (line) => console.log(line));
    for (let i = 0; i < rounds; i++) {
      bare.push(await bareStart(scope));
      podman.push(await podmanStart(scope, stack.rootfs, i));
      starts.push(await weftStart(weft, probe, { app: a, ip: ia.ip }, `start-${i}`));
      const s = starts.at(-1)!;
      overhead.push(Math.max(s.http, s.https) - bare.at(-1)!);
    }
    const both = starts.map((s) => Math.max(s.http, s.https));
    figures.push(
      {
        metric: 'weft overhead per instance start (answers on 8080 and 61443, minus bare node)',
        unit: 'ms',
        better: 'lower',
        weft: summarize(overhead),
        target: { text: '≤ 150 ms', met: summarize(overhead).median <= 150 },
        note:
          `POST answered → 8080 answers ${ms(starts.map((s) => s.http))}, → 61443 answers ` +
          `${ms(starts.map((s) => s.https))}, → the instance has an IP ${ms(starts.map((s) => s.ip))}`,
      },
      {
        metric:
          'instance start: push answered → answers on 8080 and 61443, beside `podman run` of the same stack and app',
        unit: 'ms',
        better: 'lower',
        weft: summarize(both),
        peer: { name: 'podman run', value: summarize(podman) },
        target: { text: '≤ 1.0× podman', met: summarize(both).median <= summarize(podman).median },
      },
      ...memoryFigure(starts),
      {
        metric: 'bare `node server.js`: spawn → answers on loopback (reference)',
        unit: 'ms',
        better: 'lower',
        weft: summarize(bare),
      },
    );
  },
};
