// Other work on the machine during a measurement: the CPU the whole machine's processes spent (/proc/stat,
// steal included) minus what the benchmark's own processes spent. On a shared 2-core machine, a round during which
// neighbours ran measures them as much as the proxies.
import { readFileSync } from 'node:fs';
import { cpuSplitMicros } from './proc.js';

const TICK_MICROS = 10_000; // USER_HZ 100

interface Mark {
  machine: number;
  ours: number;
  at: number;
}

function fieldsAfterName(stat: string): number[] {
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/**
 * CPU the machine's processes spent, and what the hypervisor took: user, nice, system, steal. Interrupts and
 * softirqs are left out: they are mostly the benchmark's own loopback traffic, charged to no process.
 */
function machineBusyMicros(): number {
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = (
    readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  )
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + steal) * TICK_MICROS;
}

/** This process and its children already waited for (every wrk run), from utime, stime, cutime, cstime. */
function selfAndReapedMicros(): number {
  const f = fieldsAfterName(readFileSync('/proc/self/stat', 'utf8'));
  return ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) * TICK_MICROS;
}

export class Interference {
  /** `pids`: the roots of the process trees the benchmark started and keeps running. */
  constructor(private readonly pids: () => number[]) {}

  mark(): Mark {
    const trees = this.pids().reduce((sum, pid) => {
      const cpu = cpuSplitMicros(pid);
      return sum + cpu.user + cpu.kernel;
    }, 0);
    return { machine: machineBusyMicros(), ours: trees + selfAndReapedMicros(), at: performance.now() };
  }

  /** The share of one core that other processes used between two marks. */
  static between(a: Mark, b: Mark): number {
    const foreign = b.machine - a.machine - (b.ours - a.ours);
    return Math.max(0, foreign) / ((b.at - a.at) * 1000);
  }
}
