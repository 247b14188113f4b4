// The `weft` binary: the daemons (`weft server`, `weft cell`, `weft up`) and the CLI, which speaks Cloud
// Foundry's command names and flags.
import { Command, CommanderError } from 'commander';
import { registerServer } from './daemon/server-command.js';
import { registerCellCommands } from './daemon/cell-command.js';
import { registerStackCommands } from './daemon/stack-command.js';
import { registerInstanceAccess } from './cli/commands/instance-access.js';
import { cfUsageError, failAndExit } from './cli/output.js';
import { registerUserCommands } from './cli/commands/index.js';
import { registerVersion } from './version/command.js';
import { registerServiceCommands } from './service/command.js';

const program = new Command('weft')
  .description('weft: secure container-to-container networking')
  // Before any command is registered: each inherits how usage errors read.
  .configureOutput({ outputError: (text, write) => write(`${cfUsageError(text)}\n`) })
  .showHelpAfterError()
  .exitOverride();

registerVersion(program);
registerServer(program);
registerCellCommands(program);
registerStackCommands(program);
registerServiceCommands(program);
registerInstanceAccess(program);
registerUserCommands(program);

// Output piped into `head` or `grep -q` may close early; that is not the command's failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  failAndExit(err);
}
