// The HAProxy process a cell's proxy drives: started, watched, and started again from the proxy's state
// whenever it exits without being asked to. Only the proxy's state is the truth; the process holds a copy.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { CrashBackoff } from '../../host/crash-backoff.js';
import { runtimeCommand } from './runtime-api.js';

export interface EngineHooks {
  /** Writes the configuration and every file it names from the state as it is now; returns the config path. */
  render(): Promise<string>;
  /** Brings a freshly started process up to state changes made while it was starting. */
  started(): Promise<void>;
}

const READY_POLL_MS = 10;
const READY_ATTEMPTS = 1000;
const COMMAND_ATTEMPTS = 100;

export class HaproxyEngine {
  private child: ChildProcess | null = null;
  private stopping = false;
  private running: Promise<void> | null = null;
  /** Times a process exited on its own and was started again. */
  restarts = 0;
  private readonly backoff = new CrashBackoff();

  constructor(
    private readonly socketPath: string,
    private readonly hooks: EngineHooks,
    private readonly log: Logger,
  ) {}

  /** Resolves once a process answers on its runtime API; starts one if none runs. */
  ready(): Promise<void> {
    this.running ??= this.launch();
    return this.running;
  }

  /** The process's pid, for tests that kill it. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs a command; one cut off by the process dying runs again on the process started in its place. */
  async command(command: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      await this.ready();
      try {
        return await runtimeCommand(this.socketPath, command);
      } catch (err) {
        const socketError = (err as NodeJS.ErrnoException).code !== undefined;
        if (!socketError || attempt >= COMMAND_ATTEMPTS || this.stopping) throw err;
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
      }
    }
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
    // -db: stay in the foreground, one process, so its exit is this child's exit. The parent-death signal
    // ends it with weft however weft ends (SIGKILL included): an orphan would keep the listeners bound and
    // the next cell's HAProxy could not start. Its own process group: a Ctrl-C or systemd's stop signals
    // weft's whole group, and HAProxy must keep serving until the cell has taken its instances off it.
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', 'haproxy', '-db', '-f', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    let stderr = '';
    let up = false;
    const startedAt = performance.now();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.running = null;
      // One that never came up fails its start; starting it again would only fail again.
      if (this.stopping || !up) return;
      const delayMs = this.backoff.delayAfterCrash(performance.now() - startedAt);
      this.log.error({ code, signal, stderr: stderr.trim(), delayMs }, 'haproxy exited; starting it again');
      this.restarts++;
      // Commands meanwhile wait on the start to come.
      this.running = sleep(delayMs).then(() => {
        if (this.stopping) throw new Error('the proxy is stopping');
        return this.launch();
      });
      void this.running.catch((err: unknown) =>
        this.log.error({ err: String(err) }, 'haproxy did not start'),
      );
    });
    await this.waitForSocket(child, () => stderr);
    up = true;
    await this.hooks.started();
  }

  private async waitForSocket(child: ChildProcess, stderr: () => string): Promise<void> {
    for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`haproxy exited at start: ${stderr().trim()}`);
      }
      try {
        await runtimeCommand(this.socketPath, 'show info');
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
      }
    }
    throw new Error('haproxy did not open its runtime API');
  }
}
