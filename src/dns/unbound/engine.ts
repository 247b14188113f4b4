// The unbound process a cell's DNS drives: a supervised child (src/host/supervised-child.ts), started
// again from the cell's zone whenever it exits. Only the cell's zone is the truth; the process holds a copy.
import type { Logger } from 'pino';
import { SupervisedChild } from '../../host/supervised-child.js';
import { controlCommand } from './control-socket.js';

export interface UnboundHooks {
  /** Writes the configuration from the state as it is now; returns its path. */
  render(): Promise<string>;
}

export class UnboundEngine extends SupervisedChild {
  constructor(
    private readonly socketPath: string,
    hooks: UnboundHooks,
    log: Logger,
  ) {
    super(
      {
        name: 'unbound',
        // -d: stay in the foreground, one process, so its exit is this child's exit. unbound keeps root: a
        // change of user (its `username:`, or setpriv's) clears the parent-death signal, and an unprivileged
        // unbound could not reach its configuration and socket in the root-only state directory.
        argv: async () => ['unbound', '-d', '-c', await hooks.render()],
        answers: () => controlCommand(socketPath, 'status').then(() => undefined),
        onStderrLine: (line) => log.warn({ unbound: line }, 'unbound says'),
      },
      log,
    );
  }

  /** Runs a control command on the process running now (started first if none is). */
  async command(command: string, lines?: readonly string[]): Promise<string> {
    await this.ready();
    return controlCommand(this.socketPath, command, lines);
  }
}
