// `weft server`: the control plane alone, for hosts that run cells elsewhere.
import type { Command } from 'commander';
import { DEFAULT_API_OPTIONS, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../api/options.js';
import { weftHome } from '../home/paths.js';
import { parseBytes } from '../cli/commands/flags.js';
import { untilSignal } from './signals.js';
import { readSealKeyFile } from '../ca/seal-key-file.js';
import type { SealKey, SealKeys } from '../api/platform-ca.js';
import { formatDuration, parseDuration } from '../cells/duration.js';
import { DEFAULT_CELL_LOSS } from '../cells/loss-plan.js';

export interface ServerFlags {
  database?: string;
  listen: string;
  apiName: string[];
  caSealKeyFile?: string;
  caPreviousSealKeyFile?: string;
  overlay?: string;
  maxPoliciesPerApp: string;
  maxPackageSize: string;
  certificateValidityHours: string;
  unproxiedPortMappings: boolean;
  headersTimeout: string;
  requestTimeout: string;
  keepAliveTimeout: string;
  idleTimeout: string;
  maxConnections: string;
  cellLostAfter: string;
  leaseGrace: string;
}

const seconds = (ms: number) => String(ms / 1000);
const SEAL_KEY_ENV = 'WEFT_CA_SEAL_KEY_FILE';

function sealKeys(flags: ServerFlags): SealKeys {
  const fromEnv = process.env[SEAL_KEY_ENV];
  const current =
    flags.caSealKeyFile !== undefined
      ? sealKey(flags.caSealKeyFile, '--ca-seal-key-file')
      : fromEnv !== undefined && fromEnv !== ''
        ? sealKey(fromEnv, SEAL_KEY_ENV)
        : null;
  const previousFile = flags.caPreviousSealKeyFile;
  const previous = previousFile !== undefined ? sealKey(previousFile, '--ca-previous-seal-key-file') : null;
  if (previous !== null && current === null) {
    throw new Error('--ca-previous-seal-key-file: give the new key as --ca-seal-key-file too');
  }
  return { current, previous };
}

function sealKey(file: string, source: string): SealKey {
  return { key: readSealKeyFile(file, source), source: `${source} ${file}` };
}

export function addServerFlags(cmd: Command): Command {
  return cmd
    .option(
      '--database <url>',
      'postgres://… to share the store between hosts; SQLite under WEFT_HOME by default',
    )
    .option('--listen <host:port>', 'address the API listens on (HTTPS)', '127.0.0.1:9080')
    .option(
      '--api-name <name>',
      'a name or address clients use for the API, added to its certificate (repeatable)',
      (name: string, names: string[]) => [...names, name],
      [],
    )
    .option(
      '--ca-seal-key-file <file>',
      `keep the platform CA in the database, its key sealed with this key (32 bytes, hex or base64; ` +
        `required with PostgreSQL; or $${SEAL_KEY_ENV})`,
    )
    .option(
      '--ca-previous-seal-key-file <file>',
      'the seal key the CA was sealed with until now: opened with it, the CA is sealed again with the new one',
    )
    .option(
      '--overlay <cidr>',
      'overlay network for containers (default: 10.255.0.0/16 unless it overlaps this host)',
    )
    .option(
      '--max-policies-per-app <n>',
      'policies an app may have as a source',
      String(DEFAULT_API_OPTIONS.maxPoliciesPerApp),
    )
    .option(
      '--max-package-size <size>',
      'largest app package (compressed) a push may upload, e.g. 256M or 1G',
      `${DEFAULT_API_OPTIONS.maxPackageBytes / (1024 * 1024)}M`,
    )
    .option(
      '--certificate-validity-hours <h>',
      'lifetime of instance certificates; cells renew them about 30 minutes before expiry',
      String(DEFAULT_API_OPTIONS.certificateValidityHours),
    )
    .option('--no-unproxied-port-mappings', 'only allow policies to proxied ports (61443, 61001-61100)')
    .option(
      '--headers-timeout <s>',
      'seconds a client has to send a request line and headers',
      seconds(DEFAULT_CONNECTION_LIMITS.headersTimeoutMs),
    )
    .option(
      '--request-timeout <s>',
      'seconds a client has to send a whole request, body included',
      seconds(DEFAULT_CONNECTION_LIMITS.requestTimeoutMs),
    )
    .option(
      '--keep-alive-timeout <s>',
      'seconds an idle keep-alive connection stays open',
      seconds(DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs),
    )
    .option(
      '--idle-timeout <s>',
      'seconds a connection may neither send nor read before it is closed',
      seconds(DEFAULT_CONNECTION_LIMITS.idleTimeoutMs),
    )
    .option(
      '--max-connections <n>',
      'open connections the API accepts; more are closed as they arrive',
      String(DEFAULT_CONNECTION_LIMITS.maxConnections),
    )
    .option(
      '--cell-lost-after <duration>',
      'a cell silent this long is declared lost and its instances start on other cells (e.g. 10s)',
      formatDuration(DEFAULT_CELL_LOSS.lostAfterMs),
    )
    .option(
      '--lease-grace <duration>',
      'a lost cell keeps its subnet lease this long, to come back with it (e.g. 5m)',
      formatDuration(DEFAULT_CELL_LOSS.leaseGraceMs),
    );
}

export function controlPlaneConfig(flags: ServerFlags) {
  const [host, port] = splitHostPort(flags.listen);
  return {
    home: weftHome(),
    database: flags.database,
    host,
    port,
    apiNames: flags.apiName,
    caSealKeys: sealKeys(flags),
    overlayCidr: flags.overlay,
    api: {
      ...DEFAULT_API_OPTIONS,
      maxPoliciesPerApp: positive('--max-policies-per-app', flags.maxPoliciesPerApp),
      maxPackageBytes: parseBytes('--max-package-size', flags.maxPackageSize),
      unproxiedPortMappings: flags.unproxiedPortMappings,
      certificateValidityHours: positive('--certificate-validity-hours', flags.certificateValidityHours),
      connections: connectionLimits(flags),
    },
    cellLoss: {
      lostAfterMs: parseDuration('--cell-lost-after', flags.cellLostAfter),
      leaseGraceMs: parseDuration('--lease-grace', flags.leaseGrace),
    },
  };
}

function connectionLimits(flags: ServerFlags): ConnectionLimits {
  const ms = (flag: string, value: string) => Math.round(positive(flag, value) * 1000);
  const limits = {
    headersTimeoutMs: ms('--headers-timeout', flags.headersTimeout),
    requestTimeoutMs: ms('--request-timeout', flags.requestTimeout),
    keepAliveTimeoutMs: ms('--keep-alive-timeout', flags.keepAliveTimeout),
    idleTimeoutMs: ms('--idle-timeout', flags.idleTimeout),
    maxConnections: Math.floor(positive('--max-connections', flags.maxConnections)),
  };
  // The headers are part of the request: Node refuses a header deadline later than the request's.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(
      `--headers-timeout ${flags.headersTimeout}: must not be longer than --request-timeout ${flags.requestTimeout}`,
    );
  }
  return limits;
}

export function registerServer(program: Command): void {
  addServerFlags(
    program.command('server').description('run the control plane (API, store, change stream)'),
  ).action(async (flags: ServerFlags) => {
    // Loaded on demand: the server's modules would slow down every other command.
    const { startControlPlane } = await import('../api/control-plane.js');
    const { createLogger } = await import('../log/logger.js');
    const logger = createLogger('weft-server');
    const cp = await startControlPlane(controlPlaneConfig(flags), logger);
    console.log(`weft control plane listening on ${cp.url} (overlay ${cp.overlayCidr})`);
    await untilSignal((signal) => logger.warn({ signal }, 'still stopping'));
    await cp.close();
  });
}

export function splitHostPort(listen: string, flag = '--listen'): [string, number] {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} ${listen}: expected HOST:PORT`);
  }
  return [m[1], port];
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new Error(`${flag} ${value}: expected a positive number`);
  return n;
}
