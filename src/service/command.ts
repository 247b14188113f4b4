// `weft service install server|cell`: runs weft like any other daemon on the host, under systemd.
import type { Command } from 'commander';
import { defaultEnvFile, isServiceKind, SERVICE_KINDS, unitName } from './units.js';

interface InstallFlags {
  // Not --env-file: Node 20 takes that flag for itself wherever it appears on the command line.
  env?: string;
  unitDir: string;
}

export function registerServiceCommands(program: Command): void {
  const service = program.command('service').description('run weft server or weft cell under systemd');
  service
    .command('install')
    .argument('<kind>', SERVICE_KINDS.join(' | '))
    .description(
      `write ${SERVICE_KINDS.map((k) => unitName(k)).join(' or ')} and a first flags file (${defaultEnvFile('server')}, ${defaultEnvFile('cell')}), then reload systemd`,
    )
    .option('--env <file>', 'the flags file (EnvironmentFile) the unit reads; kept if it exists')
    .option('--unit-dir <dir>', 'where the unit goes', '/etc/systemd/system')
    .action(async (kind: string, flags: InstallFlags) => {
      if (!isServiceKind(kind)) throw new Error(`service ${kind}: expected ${SERVICE_KINDS.join(' or ')}`);
      // Loaded on demand, as the daemons' modules are.
      const { installService } = await import('./install.js');
      for (const note of await installService(kind, { unitDir: flags.unitDir, envFile: flags.env }))
        console.log(note);
    });
}
