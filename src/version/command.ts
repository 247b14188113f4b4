// `weft --version` and `weft version`, as the cf CLI has both.
import type { Command } from 'commander';
import { buildInfo, versionLine } from './version.js';

export function registerVersion(program: Command): void {
  const line = versionLine(buildInfo());
  program.version(line, '--version', 'print the version and the commit it was built from');
  program
    .command('version')
    .description('print the version and the commit it was built from')
    .action(() => console.log(line));
}
