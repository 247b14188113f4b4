// `weft cell` (a host that runs instances for a control plane elsewhere) and `weft up` (everything on
// one host: control plane with embedded SQLite, and a cell).
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Logger } from 'pino';
import type { CellAgent, CellConfig } from '../cell/agent.js';
import { weftHome } from '../home/paths.js';
import { createLogger } from '../log/logger.js';
import { untilSignal } from './signals.js';
import { addServerFlags, controlPlaneConfig, splitHostPort, type ServerFlags } from './server-command.js';
import fs from 'node:fs';
import { ADMIN_TOKEN_FILE, CA_CERT_FILE } from '../home/paths.js';
import { parseApiUrls } from '../endpoints/api-urls.js';
import { readCaFile } from '../cli/ca-trust.js';
import { readCellToken, TOKEN_ENV } from './cell-token.js';
import type { RuntimeName } from '../runtime/oci/runtime-choice.js';
import { DEFAULT_STACKS_DIR, STACK_DIR_ENV } from '../runtime/stack/stack.js';
import { DEFAULT_CNI_SOCKET } from '../network/cni/client.js';
import type { FlowLogScope } from '../flows/flow-log.js';
import { parseDuration } from '../cells/duration.js';

interface CellFlags {
  id: string;
  hostIp?: string;
  cleanup: boolean;
  table: string;
  ifacePrefix: string;
  resyncInterval: number;
  stackDir?: string;
  runtime?: RuntimeName;
  userNamespace: boolean;
  cniSocket: string;
  flowLog: FlowLogScope;
  heartbeatInterval: number;
}

function addCellFlags(cmd: Command): Command {
  return cmd
    .option('--id <name>', 'this cell’s name', os.hostname())
    .option(
      '--host-ip <ip>',
      'address other cells reach this one on (default: the first non-loopback address)',
    )
    .option('--cleanup', 'on stop, remove containers, kernel rules and links this cell installed', false)
    .option('--table <name>', 'nftables table weft owns', 'weft')
    .option('--iface-prefix <prefix>', 'prefix (up to 6 characters) of the host links weft creates', 'weft')
    .option(
      '--resync-interval <seconds>',
      'how often the cell compares the host with the plan and repairs drift',
      positiveSeconds,
      60,
    )
    .option(
      '--stack-dir <dir>',
      `where the root filesystem stack is found, or built once (default: $${STACK_DIR_ENV}, else ${DEFAULT_STACKS_DIR})`,
    )
    .option(
      '--runtime <name>',
      'the OCI runtime: runc or crun (default: crun on cgroup v2-only hosts, else runc)',
      runtimeName,
    )
    .option(
      '--user-namespace',
      'run each container in a user namespace of its own where the host allows it (runc 1.1 cannot then exec into them: no weft ssh; see docs/security.md)',
      false,
    )
    .option('--cni-socket <path>', 'where the cell serves the weft-cni plugin', DEFAULT_CNI_SOCKET)
    .option(
      '--flow-log <scope>',
      'denied: log denied flows; all: also every connection’s start and end (conntrack events)',
      flowLogScope,
      'denied',
    )
    .option(
      '--heartbeat-interval <duration>',
      'how often the cell tells the control plane it is alive (keep it well under --cell-lost-after)',
      heartbeatInterval,
      2_000,
    );
}

function heartbeatInterval(value: string): number {
  try {
    return parseDuration('--heartbeat-interval', value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function flowLogScope(value: string): FlowLogScope {
  if (value !== 'denied' && value !== 'all') throw new InvalidArgumentError('denied or all');
  return value;
}

function runtimeName(value: string): RuntimeName {
  if (value !== 'runc' && value !== 'crun') throw new InvalidArgumentError('runc or crun');
  return value;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0');
  return n;
}

interface ControlPlaneAccess {
  api: string[];
  caPem: string;
  token: string;
}

interface StartedCell {
  agent: CellAgent;
  /** The runtime and stack, for the start line. */
  containers: string;
}

async function runCell(access: ControlPlaneAccess, flags: CellFlags, logger: Logger): Promise<StartedCell> {
  const root = path.join(weftHome(), 'cell');
  // Before the cell grows: each command it runs then forks from a small helper, not from the daemon.
  const { spawnThroughHelper } = await import('../host/run.js');
  await spawnThroughHelper();
  const { prepareContainers, describeContainers } = await import('../cell/containers.js');
  const { CellPaths } = await import('../cell/paths.js');
  const containers = await prepareContainers(
    new CellPaths(root),
    { stackDir: flags.stackDir, runtime: flags.runtime, userNamespace: flags.userNamespace },
    (line) => console.log(line),
    (err) =>
      logger.warn({ err: String(err) }, 'could not mount a writable layer ahead; starts mount their own'),
  );
  // The plugin every container joins the network through, compiled now if this version never was.
  const { cniPlugin } = await import('../network/cni/plugin-binary.js');
  await cniPlugin();
  const config: CellConfig = {
    ...access,
    cellId: flags.id,
    hostIp: flags.hostIp ?? (await firstHostAddress()),
    root,
    table: flags.table,
    linkPrefix: flags.ifacePrefix,
    resyncMs: flags.resyncInterval * 1000,
    containers,
    cniSocket: path.resolve(flags.cniSocket),
    flowLog: flags.flowLog,
    heartbeatMs: flags.heartbeatInterval,
  };
  // Loaded on demand: the cell's modules would slow down every other command.
  const { CellAgent } = await import('../cell/agent.js');
  const agent = new CellAgent(config, logger);
  await agent.start();
  return { agent, containers: describeContainers(containers) };
}

async function firstHostAddress(): Promise<string> {
  const { readHostFacts } = await import('../network/overlay-choice.js');
  const facts = await readHostFacts();
  return facts.addresses.find((a) => !a.ip.startsWith('127.'))?.ip ?? '127.0.0.1';
}

/** A standalone cell's metrics; under `weft up` they join the control plane's /metrics instead. */
async function serveMetrics(agent: CellAgent, listen: string): Promise<http.Server> {
  const { Registry } = await import('prom-client');
  const registry = new Registry();
  agent.registerMetrics(registry);
  const [host, port] = splitHostPort(listen, '--metrics-listen');
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

interface StandaloneFlags {
  api: string;
  caCert?: string;
  tokenFile?: string;
  metricsListen?: string;
}

function standaloneAccess(flags: StandaloneFlags): ControlPlaneAccess {
  const api = parseApiUrls(flags.api, '--api');
  const caPem =
    flags.caCert !== undefined
      ? readCaFile(flags.caCert, '--ca-cert')
      : readCaFile(path.join(weftHome(), CA_CERT_FILE), 'no --ca-cert given, and the local CA');
  const token = readCellToken(flags.tokenFile, process.env);
  // Containers and commands the cell starts must not inherit it.
  delete process.env[TOKEN_ENV];
  return { api, caPem, token };
}

function stillStopping(logger: Logger, cleanup: boolean): (signal: NodeJS.Signals) => void {
  return (signal) =>
    logger.warn(
      { signal },
      cleanup
        ? 'still cleaning up: weft stops once its containers, kernel rules and links are removed (SIGKILL would leave them)'
        : 'still stopping',
    );
}

export function registerCellCommands(program: Command): void {
  addCellFlags(
    program
      .command('cell')
      .description('run a cell: containers, kernel policy, DNS and TLS proxy for a control plane')
      .requiredOption(
        '--api <urls>',
        'the control plane’s https:// URL; several servers as URL1,URL2, tried in order',
      )
      .option('--ca-cert <file>', `the platform CA's certificate (default: WEFT_HOME/${CA_CERT_FILE})`)
      .option(
        '--token-file <file>',
        `a cell or admin token, in a file only its owner reads (or ${TOKEN_ENV})`,
      )
      .option('--metrics-listen <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics'),
  ).action(async (flags: CellFlags & StandaloneFlags) => {
    const logger = createLogger('weft-cell');
    const { agent, containers } = await runCell(standaloneAccess(flags), flags, logger);
    const metrics = flags.metricsListen !== undefined ? await serveMetrics(agent, flags.metricsListen) : null;
    console.log(`weft cell ${flags.id} running (${containers})`);
    await untilSignal(stillStopping(logger, flags.cleanup));
    metrics?.close();
    await agent.stop({ cleanup: flags.cleanup });
    await (await import('../host/run.js')).stopSpawner();
    // Containers left running for the next cell (and their watchers) would keep the process alive.
    process.exit();
  });

  addCellFlags(
    addServerFlags(
      program.command('up').description('run control plane and cell on this host (SQLite, one host)'),
    ),
  ).action(async (flags: CellFlags & ServerFlags) => {
    const logger = createLogger('weft');
    const { startControlPlaneThread } = await import('./control-plane-thread.js');
    const { Registry } = await import('prom-client');
    // The cell's metrics, served by the control plane's /metrics beside its own.
    const cellMetrics = new Registry();
    const cp = await startControlPlaneThread(controlPlaneConfig(flags), () => cellMetrics.metrics());
    const token = fs.readFileSync(path.join(weftHome(), ADMIN_TOKEN_FILE), 'utf8').trim();
    const { agent, containers } = await runCell({ api: [cp.url], caPem: cp.caPem, token }, flags, logger);
    agent.registerMetrics(cellMetrics);
    console.log(`weft is up: API ${cp.url}, overlay ${cp.overlayCidr}, containers: ${containers}`);
    const failure = cp.failed.then((err) => {
      logger.fatal({ err: String(err) }, 'the control plane failed; stopping the cell');
      return err;
    });
    const failed = await Promise.race([untilSignal(stillStopping(logger, flags.cleanup)), failure]);
    await agent.stop({ cleanup: flags.cleanup });
    if (!(failed instanceof Error)) await cp.close();
    await (await import('../host/run.js')).stopSpawner();
    process.exit(failed instanceof Error ? 1 : 0);
  });
}
