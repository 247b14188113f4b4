// weft's end of the spawner (spawner-child.js): a daemon starts its commands through that small process,
// because a fork from the daemon itself stops its event loop for as long as copying its page tables takes
// (~20 ms at 250 MB: every request, stream message and start waits meanwhile).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./spawner-child.js', import.meta.url));

export interface SpawnRequest {
  argv: string[];
  input?: string;
  /** The program's stdout and stderr go to this file (appended) instead of being collected. */
  outputFile?: string;
}

export interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type Answer = { id: number; error: string } | ({ id: number } & SpawnResult);

interface Pending {
  resolve: (r: SpawnResult) => void;
  reject: (err: Error) => void;
}

export class Spawner {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private gone = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: Answer) => this.settle(m));
    // Its channel closes as it dies: what it was running for weft is lost, and weft forks its own again.
    child.once('disconnect', () => this.lost());
    child.once('exit', () => this.lost());
    this.idle();
  }

  /** Starts the helper; it runs with plain node (no loader) in a process group of its own. */
  static async start(): Promise<Spawner> {
    const child = spawn(process.execPath, [CHILD], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`the spawner exited (${code ?? signal})`)));
    });
    child.removeAllListeners();
    return new Spawner(child);
  }

  get alive(): boolean {
    return !this.gone;
  }

  /**
   * Ends the helper and waits until it is gone, so that weft leaves nothing in its service's cgroup:
   * closing the channel makes it exit; one that does not within a second is killed.
   */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    await exited;
    clearTimeout(timer);
  }

  run(request: SpawnRequest): Promise<SpawnResult> {
    const id = this.nextId++;
    const answered = new Promise<SpawnResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // While a command runs, the helper keeps weft's event loop alive (e.g. a cleanup's last commands).
    this.child.ref();
    this.child.channel?.ref();
    this.child.send({ id, ...request }, (err) => {
      if (!err) return;
      // A channel that fails a write is broken: the helper is given up at once (and killed, should it still
      // run), so that commands fork here from now on. Waiting for its exit to be noticed is not enough: a
      // caller retrying at once fails at once each time and never lets that event in.
      this.child.kill('SIGKILL');
      this.lost();
    });
    return answered;
  }

  private lost(): void {
    this.gone = true;
    for (const p of this.pending.values()) p.reject(new Error('the spawner exited'));
    this.pending.clear();
    this.idle();
  }

  private settle(answer: Answer): void {
    const p = this.pending.get(answer.id);
    if (!p) return;
    this.pending.delete(answer.id);
    if ('error' in answer) p.reject(new Error(answer.error));
    else
      p.resolve({ code: answer.code, signal: answer.signal, stdout: answer.stdout, stderr: answer.stderr });
    if (this.pending.size === 0) this.idle();
  }

  /** Idle, the helper does not keep weft running; it exits once weft does. */
  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
  }
}
