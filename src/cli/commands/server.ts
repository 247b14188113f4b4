// `weft server`: the control plane alone, for hosts that run cells elsewhere.
import type { Command } from 'commander';
import { DEFAULT_API_OPTIONS } from '../../api/options.js';
import { weftHome } from '../../home/paths.js';
import { untilSignal } from '../signals.js';

export interface ServerFlags {
  database?: string;
  listen: string;
  overlay?: string;
  maxPoliciesPerApp: string;
  unproxiedPortMappings: boolean;
}

export function addServerFlags(cmd: Command): Command {
  return cmd
    .option(
      '--database <url>',
      'postgres://… to share the store between hosts; SQLite under WEFT_HOME by default',
    )
    .option('--listen <host:port>', 'address the API listens on', '127.0.0.1:9080')
    .option(
      '--overlay <cidr>',
      'overlay network for containers (default: 10.255.0.0/16 unless it overlaps this host)',
    )
    .option(
      '--max-policies-per-app <n>',
      'policies an app may have as a source',
      String(DEFAULT_API_OPTIONS.maxPoliciesPerApp),
    )
    .option('--no-unproxied-port-mappings', 'only allow policies to proxied ports (61443, 61001-61100)');
}

export function controlPlaneConfig(flags: ServerFlags) {
  const [host, port] = splitHostPort(flags.listen);
  return {
    home: weftHome(),
    database: flags.database,
    host,
    port,
    overlayCidr: flags.overlay,
    api: {
      ...DEFAULT_API_OPTIONS,
      maxPoliciesPerApp: Number(flags.maxPoliciesPerApp),
      unproxiedPortMappings: flags.unproxiedPortMappings,
    },
  };
}

export function registerServer(program: Command): void {
  addServerFlags(
    program.command('server').description('run the control plane (API, store, change stream)'),
  ).action(async (flags: ServerFlags) => {
    // Loaded on demand: the server's modules would slow down every other command.
    const { startControlPlane } = await import('../../api/control-plane.js');
    const { createLogger } = await import('../../log/logger.js');
    const cp = await startControlPlane(controlPlaneConfig(flags), createLogger('weft-server'));
    console.log(`weft control plane listening on ${cp.url} (overlay ${cp.overlayCidr})`);
    await untilSignal();
    await cp.close();
  });
}

function splitHostPort(listen: string): [string, number] {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen ${listen}: expected HOST:PORT`);
  }
  return [m[1], port];
}
