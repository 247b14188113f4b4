// `weft server` alone, as its own process: the CLI's server command without the rest of the CLI,
// so tests can SIGKILL exactly the process that owns the database.
import { Command } from 'commander';
import { registerServer } from '../../src/cli/commands/server.js';

const program = new Command('weft');
registerServer(program);
await program.parseAsync(process.argv);
