// `weft ssh` and `weft logs`: through the control plane, with the caller's token, to the cell that runs
// the instance (see src/api/sessions.ts); they work from any machine that reaches the API.
import type { Command } from 'commander';
import { openInstanceSession, runInstanceSession } from '../instance-session.js';
import { parseInstances } from './flags.js';
import { findApp, openSession, requireTarget } from './session.js';

export function registerInstanceAccess(program: Command): void {
  program
    .command('ssh')
    .argument('<app>', 'app name')
    .option('-i, --app-instance-index <index>', 'instance index', '0')
    .option('-c, --command <command>', 'command to run instead of an interactive shell')
    .description('run a shell or a command inside an app instance’s container, as the app’s user')
    .action(async (name: string, flags: { appInstanceIndex: string; command?: string }) => {
      const s = openSession();
      const app = await findApp(s, requireTarget(s).space, name);
      const index = parseInstances(flags.appInstanceIndex);
      const tty = flags.command === undefined && process.stdin.isTTY && process.stdout.isTTY;
      const stream = await openInstanceSession(s, `/v1/apps/${app.guid}/instances/${index}/ssh`, {
        command: flags.command,
        tty: tty ? 'true' : undefined,
        term: tty ? process.env.TERM : undefined,
        cols: tty ? size(process.stdout.columns) : undefined,
        rows: tty ? size(process.stdout.rows) : undefined,
      });
      // The container's pseudo-terminal echoes and edits lines; this terminal passes keys through as typed.
      if (tty) process.stdin.setRawMode(true);
      try {
        process.exitCode = await runInstanceSession(stream, process);
      } finally {
        if (tty) process.stdin.setRawMode(false);
        process.stdin.destroy();
      }
    });

  program
    .command('logs')
    .argument('<app>', 'app name')
    .option('--recent', 'print what was logged and stop, instead of following')
    .description('show an app’s output (every instance, on every cell), tagged as Cloud Foundry tags it')
    .action(async (name: string, flags: { recent?: boolean }) => {
      const s = openSession();
      const app = await findApp(s, requireTarget(s).space, name);
      const stream = await openInstanceSession(s, `/v1/apps/${app.guid}/logs`, {
        recent: flags.recent === true ? 'true' : undefined,
      });
      process.exitCode = await runInstanceSession(stream, {
        stdin: null,
        stdout: process.stdout,
        stderr: process.stderr,
      });
    });
}

/** A terminal that reports no size (0) leaves the default. */
function size(n: number): string | undefined {
  return n > 0 ? String(n) : undefined;
}
