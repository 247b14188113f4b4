// The unbound process a cell's DNS drives: started, watched, and started again from the cell's zone
// whenever it exits without being asked to. Only the cell's zone is the truth; the process holds a copy.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { CrashBackoff } from '../../host/crash-backoff.js';
import { controlCommand } from './control-socket.js';

export interface UnboundHooks {
  /** Writes the configuration from the state as it is now; returns its path. */
  render(): Promise<string>;
}

const READY_POLL_MS = 10;
const READY_ATTEMPTS = 1000;

export class UnboundEngine {
  private child: ChildProcess | null = null;
  private stopping = false;
  private running: Promise<void> | null = null;
  /** Times the process exited on its own and was started again. */
  restarts = 0;
  private readonly backoff = new CrashBackoff();

  constructor(
    private readonly socketPath: string,
    private readonly hooks: UnboundHooks,
    private readonly log: Logger,
  ) {}

  /** Resolves once a process answers on its control socket; starts one if none runs. */
  ready(): Promise<void> {
    this.running ??= this.launch();
    return this.running;
  }

  /** The process's pid, for tests that kill it. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs a control command on the process running now (started first if none is). */
  async command(command: string, lines?: readonly string[]): Promise<string> {
    await this.ready();
    return controlCommand(this.socketPath, command, lines);
  }

  get stopped(): boolean {
    return this.stopping;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  private async launch(): Promise<void> {
    const config = await this.hooks.render();
    // -d: stay in the foreground, one process, so its exit is this child's exit. The parent-death signal
    // ends it with weft however weft ends (SIGKILL included): an orphan would keep port 53 of the gateway.
    // unbound keeps root: a change of user (its `username:`, or setpriv's) clears that signal, and an
    // unprivileged unbound could not reach its configuration and socket in the root-only state directory.
    // Its own process group: a Ctrl-C signals weft's whole group, and DNS must keep answering until the
    // cell has stopped its instances.
    const argv = ['--pdeathsig', 'SIGKILL', 'unbound', '-d', '-c', config];
    const child = spawn('setpriv', argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    let lastLines: string[] = [];
    let up = false;
    const startedAt = performance.now();
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        lastLines = [...lastLines.slice(-9), line];
        this.log.warn({ unbound: line }, 'unbound says');
      });
    }
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.running = null;
      // One that never came up fails its start; starting it again would only fail again.
      if (this.stopping || !up) return;
      const delayMs = this.backoff.delayAfterCrash(performance.now() - startedAt);
      this.log.error({ code, signal, delayMs }, 'unbound exited; starting it again');
      this.restarts++;
      // Commands meanwhile wait on the start to come.
      this.running = sleep(delayMs).then(() => {
        if (this.stopping) throw new Error('DNS is stopping');
        return this.launch();
      });
      void this.running.catch((err: unknown) =>
        this.log.error({ err: String(err) }, 'unbound did not start'),
      );
    });
    await this.waitForControl(child, () => lastLines.join('\n'));
    up = true;
  }

  private async waitForControl(child: ChildProcess, stderr: () => string): Promise<void> {
    for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`unbound exited at start: ${stderr()}`);
      }
      try {
        await controlCommand(this.socketPath, 'status');
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
      }
    }
    throw new Error('unbound did not open its control socket');
  }
}
