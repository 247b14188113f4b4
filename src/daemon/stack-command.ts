// `weft stack build`: builds the root filesystem stack ahead of the first cell (scripts/setup runs it), so
// that `weft up` and `weft cell` find it in the machine's cache instead of building it as they start.
import type { Command } from 'commander';
import { DEFAULT_STACKS_DIR, ensureStack, STACK_DIR_ENV, stacksDir } from '../runtime/stack/stack.js';

export function registerStackCommands(program: Command): void {
  program
    .command('stack')
    .description('the root filesystem stack containers run on')
    .command('build')
    .description('build the stack if this host has none yet, and print its name, version and place')
    .option(
      '--stack-dir <dir>',
      `where stacks are kept (default: $${STACK_DIR_ENV}, else ${DEFAULT_STACKS_DIR})`,
    )
    .action(async (flags: { stackDir?: string }) => {
      const stack = await ensureStack(stacksDir(flags.stackDir), (line) => console.log(line));
      console.log(`${stack.name} ${stack.version} at ${stack.rootfs}`);
    });
}
