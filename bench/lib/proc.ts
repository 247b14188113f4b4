// Processes the benchmark starts: tracked for cleanup, and measured through /proc (CPU time, RSS).
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Scope } from './cleanup.js';

const execFileAsync = promisify(execFile);

export async function sh(file: string, args: string[], input?: string): Promise<string> {
  const pending = execFileAsync(file, args, { maxBuffer: 512 * 1024 * 1024 });
  // A tool that exits without reading stdin fails the write with EPIPE; its exit status says what went wrong.
  pending.child.stdin?.on('error', () => undefined);
  pending.child.stdin?.end(input ?? '');
  return (await pending).stdout;
}

/** Starts a long-running peer or helper; the scope stops it (TERM, then KILL after 3 s). */
export function daemon(scope: Scope, file: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  scope.defer(`stop ${file}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  });
  Object.defineProperty(child, 'stderrTail', { get: () => stderr });
  return child;
}

export function stderrTail(child: ChildProcess): string {
  return (child as ChildProcess & { stderrTail?: string }).stderrTail ?? '';
}

/** Resolves with the first stdout line matching `re`, or fails if the process exits or time runs out. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => done(new Error(`no ${re} within ${timeoutMs} ms: ${stderrTail(child)}`)),
      timeoutMs,
    );
    const onData = (s: string): void => {
      out += s;
      const m = re.exec(out);
      if (m) done(null, m);
    };
    const onExit = (): void => done(new Error(`exited before ${re}: ${out} ${stderrTail(child)}`));
    const done = (err: Error | null, m?: RegExpExecArray): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m as RegExpExecArray);
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
  });
}

const CLK_TCK = 100; // USER_HZ on Linux

function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** The process and all its descendants (nginx and haproxy work in child processes). */
export function processTree(pid: number): number[] {
  return [pid, ...children(pid).flatMap(processTree)];
}

/** CPU time of a process tree in microseconds, split into user space (utime) and kernel (stime). */
export function cpuSplitMicros(pid: number): { user: number; kernel: number } {
  let user = 0;
  let kernel = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]);
      kernel += Number(fields[12]);
    } catch {
      // exited in between
    }
  }
  return { user: (user * 1e6) / CLK_TCK, kernel: (kernel * 1e6) / CLK_TCK };
}

export interface CpuSample {
  /** Microseconds from the scheduler's nanosecond counters (schedstat). */
  precise: number;
  /** Microseconds from utime and stime, in 10 ms ticks. */
  user: number;
  kernel: number;
}

/** A snapshot of a process tree's CPU time; cpuBetween reads two of them. */
export function cpuSample(pid: number): CpuSample {
  let nanos = 0;
  for (const p of processTree(pid)) {
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        nanos += Number(readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      }
    } catch {
      // exited in between
    }
  }
  return { precise: nanos / 1000, ...cpuSplitMicros(pid) };
}

/**
 * CPU microseconds spent between two samples, split into user space and kernel in the proportion of the
 * ticks: a run of a few seconds needs more precision than /proc/PID/stat's 10 ms ticks give.
 */
export function cpuBetween(a: CpuSample, b: CpuSample): { total: number; user: number; kernel: number } {
  const total = b.precise - a.precise;
  const user = b.user - a.user;
  const ticks = user + b.kernel - a.kernel;
  const userShare = ticks > 0 ? user / ticks : 0;
  return { total, user: total * userShare, kernel: total * (1 - userShare) };
}

export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A private temp dir, removed with the scope. */
export function tempDir(scope: Scope, prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  scope.defer(`rm ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
