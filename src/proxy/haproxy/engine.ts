// The HAProxy process a cell's proxy drives: a supervised child (src/host/supervised-child.ts), started
// again from the proxy's state whenever it exits. Only the proxy's state is the truth; the process holds a
// copy.
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { SupervisedChild } from '../../host/supervised-child.js';
import { runtimeCommand } from './runtime-api.js';

export interface EngineHooks {
  /** Writes the configuration and every file it names from the state as it is now; returns the config path. */
  render(): Promise<string>;
  /** Brings a freshly started process up to state changes made while it was starting. */
  started(): Promise<void>;
}

const COMMAND_RETRY_MS = 10;
const COMMAND_ATTEMPTS = 100;

export class HaproxyEngine extends SupervisedChild {
  constructor(
    private readonly socketPath: string,
    hooks: EngineHooks,
    log: Logger,
  ) {
    super(
      {
        name: 'haproxy',
        // -db: stay in the foreground, one process, so its exit is this child's exit.
        argv: async () => ['haproxy', '-db', '-f', await hooks.render()],
        answers: () => runtimeCommand(socketPath, 'show info').then(() => undefined),
        started: () => hooks.started(),
      },
      log,
    );
  }

  /** Runs a command; one cut off by the process dying runs again on the process started in its place. */
  async command(command: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      await this.ready();
      try {
        return await runtimeCommand(this.socketPath, command);
      } catch (err) {
        const socketError = (err as NodeJS.ErrnoException).code !== undefined;
        if (!socketError || attempt >= COMMAND_ATTEMPTS || this.stopped) throw err;
        await sleep(COMMAND_RETRY_MS);
      }
    }
  }
}
