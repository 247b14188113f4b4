// A daemon the cell runs as its child and keeps running (HAProxy, unbound): started under a parent-death
// signal and in a process group of its own, ready once it answers on its control socket, and started
// again, from the state the cell holds, whenever it exits without being asked to.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { CrashBackoff } from './crash-backoff.js';

export interface ChildSpec {
  /** What the logs call it. */
  name: string;
  /** Writes its configuration from the state as it is now; returns the program's argv. */
  argv(): Promise<string[]>;
  /** Resolves once the process answers on its control socket; rejects while it does not yet. */
  answers(): Promise<void>;
  /** Brings a freshly started process up to state changes made while it was starting. */
  started?(): Promise<void>;
  /** Each line it writes on stderr. */
  onStderrLine?(line: string): void;
}

const READY_POLL_MS = 10;
const READY_ATTEMPTS = 1000;
const STDERR_TAIL_BYTES = 4096;

export class SupervisedChild {
  private child: ChildProcess | null = null;
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly backoff = new CrashBackoff();
  /** Times the process exited on its own and was started again. */
  restarts = 0;

  constructor(
    private readonly spec: ChildSpec,
    private readonly log: Logger,
  ) {}

  /** Resolves once a process answers; starts one if none runs (or waits for the restart under way). */
  ready(): Promise<void> {
    this.running ??= this.launch();
    return this.running;
  }

  /** The process's pid, for tests that kill it. */
  get pid(): number | undefined {
    return this.child?.pid;
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
    const [program, ...args] = await this.spec.argv();
    if (program === undefined) throw new Error(`${this.spec.name}: empty argv`);
    // The parent-death signal ends it with weft however weft ends (SIGKILL included): an orphan would keep
    // its sockets bound and the next cell's could not start. Its own process group: a Ctrl-C or systemd's
    // stop signals weft's whole group, and the child must keep serving until the cell has taken its
    // instances off it.
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', program, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    let stderr = '';
    let partial = '';
    let up = false;
    const startedAt = performance.now();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.spec.onStderrLine?.(line);
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.running = null;
      // One that never came up fails its start; starting it again would only fail again.
      if (this.stopping || !up) return;
      const delayMs = this.backoff.delayAfterCrash(performance.now() - startedAt);
      this.log.error(
        { code, signal, stderr: stderr.trim(), delayMs },
        `${this.spec.name} exited; starting it again`,
      );
      this.restarts++;
      // Commands meanwhile wait on the start to come.
      this.running = sleep(delayMs).then(() => {
        if (this.stopping) throw new Error(`${this.spec.name} is stopping`);
        return this.launch();
      });
      void this.running.catch((err: unknown) =>
        this.log.error({ err: String(err) }, `${this.spec.name} did not start`),
      );
    });
    await this.waitForAnswer(child, () => stderr.trim());
    up = true;
    await this.spec.started?.();
  }

  private async waitForAnswer(child: ChildProcess, stderr: () => string): Promise<void> {
    for (let attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.spec.name} exited at start: ${stderr()}`);
      }
      try {
        await this.spec.answers();
        return;
      } catch {
        await sleep(READY_POLL_MS);
      }
    }
    throw new Error(`${this.spec.name} did not open its control socket`);
  }
}
