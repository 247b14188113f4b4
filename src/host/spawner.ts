// weft's end of the spawner (weft-spawner.c beside this file): a daemon starts its commands through that
// small process, because a fork from the daemon itself stops its event loop for as long as copying its
// page tables takes (~20 ms at 250 MB: every request, stream message and start waits meanwhile). The
// spawner is C: the Node helper it replaces cost about a millisecond of CPU per command, ~15 ms of every
// instance start, on a host whose two cores the start keeps busy.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const SPAWNER_SOURCE = path.join(import.meta.dirname, 'weft-spawner.c');
export const SPAWNER_CACHE_ENV = 'WEFT_SPAWNER_CACHE';
export const SPAWNER_DEFAULT_CACHE = '/var/cache/weft/spawner';

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

interface Pending {
  argv0: string;
  resolve: (r: SpawnResult) => void;
  reject: (err: Error) => void;
}

/** As many commands as weft-spawner.c runs at once (its MAX_JOBS); more wait here for a slot. */
const MAX_RUNNING = 1024;

/** How the spawner's answer says a command ended (weft-spawner.c). */
const EXITED = 0;
const SIGNALED = 1;

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** One request as weft-spawner.c reads it: u32 length, then id, argc, the strings, then the input. */
export function encodeRequest(id: number, { argv, input, outputFile }: SpawnRequest): Buffer {
  const strings = [...argv, outputFile ?? ''].map((s) => {
    if (s.includes('\0')) throw new Error('run: an argument holds a NUL character');
    return Buffer.from(`${s}\0`);
  });
  const head = Buffer.alloc(12);
  const body = [...strings, Buffer.from(input ?? '')];
  head.writeUInt32LE(8 + body.reduce((n, b) => n + b.length, 0), 0);
  head.writeUInt32LE(id, 4);
  head.writeUInt32LE(argv.length, 8);
  return Buffer.concat([head, ...body]);
}

export class Spawner {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queued: (Omit<Pending, 'argv0'> & { request: SpawnRequest })[] = [];
  private gone = false;
  private received: Buffer = Buffer.alloc(0);

  /** Its pipes: with 'pipe' stdio, sockets, which can stop holding weft's event loop open. */
  private readonly requests: Socket;
  private readonly answers: Socket;

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    this.requests = child.stdin as Socket;
    this.answers = child.stdout as Socket;
    this.answers.on('data', (chunk: Buffer) => this.read(chunk));
    // Its pipes close as it dies: what it was running for weft is lost, and weft forks its own again.
    this.requests.on('error', () => this.lost());
    this.answers.on('error', () => this.lost());
    child.on('error', () => this.lost());
    child.once('exit', () => this.lost());
    this.idle();
  }

  /** Starts the helper, compiled from SPAWNER_SOURCE (run.ts), in a process group of its own. */
  static async start(binary: string): Promise<Spawner> {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    child.removeAllListeners();
    return new Spawner(child);
  }

  get alive(): boolean {
    return !this.gone;
  }

  /**
   * Ends the helper and waits until it is gone, so that weft leaves nothing in its service's cgroup:
   * the end of its input makes it exit; one that does not within a second is killed.
   */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.requests.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    await exited;
    clearTimeout(timer);
  }

  run(request: SpawnRequest): Promise<SpawnResult> {
    if (this.pending.size < MAX_RUNNING) return this.send(request);
    return new Promise((resolve, reject) => this.queued.push({ request, resolve, reject }));
  }

  private send(request: SpawnRequest): Promise<SpawnResult> {
    const id = this.nextId++;
    const frame = encodeRequest(id, request);
    const answered = new Promise<SpawnResult>((resolve, reject) =>
      this.pending.set(id, { argv0: request.argv[0] ?? '', resolve, reject }),
    );
    // While a command runs, the helper keeps weft's event loop alive (e.g. a cleanup's last commands).
    this.child.ref();
    this.requests.ref();
    this.answers.ref();
    this.requests.write(frame, (err) => {
      if (!err) return;
      // A pipe that fails a write is broken: the helper is given up at once (and killed, should it still
      // run), so that commands fork here from now on. Waiting for its exit to be noticed is not enough: a
      // caller retrying at once fails at once each time and never lets that event in.
      this.child.kill('SIGKILL');
      this.lost();
    });
    return answered;
  }

  /** Answers as weft-spawner.c writes them: u32 length, id, kind, value, stdout's length, stdout, stderr. */
  private read(chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (this.received.length >= 4) {
      const length = this.received.readUInt32LE(0);
      if (this.received.length < 4 + length) return;
      const frame = this.received.subarray(4, 4 + length);
      this.received = this.received.subarray(4 + length);
      const id = frame.readUInt32LE(0);
      const kind = frame.readInt32LE(4);
      const value = frame.readInt32LE(8);
      const outLength = frame.readUInt32LE(12);
      const stdout = frame.toString('utf8', 16, 16 + outLength);
      const stderr = frame.toString('utf8', 16 + outLength);
      this.settle(id, kind, value, stdout, stderr);
    }
  }

  private lost(): void {
    this.gone = true;
    for (const p of [...this.pending.values(), ...this.queued]) p.reject(new Error('the spawner exited'));
    this.pending.clear();
    this.queued.length = 0;
    this.idle();
  }

  private settle(id: number, kind: number, value: number, stdout: string, stderr: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (kind === EXITED) p.resolve({ code: value, signal: null, stdout, stderr });
    else if (kind === SIGNALED)
      p.resolve({ code: null, signal: SIGNAL_NAMES.get(value) ?? 'SIGKILL', stdout, stderr });
    else p.reject(new Error(`spawn ${p.argv0} ${ERRNO_NAMES.get(value) ?? `errno ${value}`}`));
    const next = this.queued.shift();
    if (next) this.send(next.request).then(next.resolve, next.reject);
    else if (this.pending.size === 0) this.idle();
  }

  /** Idle, the helper does not keep weft running; it exits once weft does. */
  private idle(): void {
    this.child.unref();
    this.requests.unref();
    this.answers.unref();
  }
}
