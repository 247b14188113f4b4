// Runs wrk and reads its summary: requests, requests/s and the latency distribution.
import { sh } from './proc.js';

export interface WrkResult {
  requests: number;
  rps: number;
  /** Microseconds. */
  p50: number;
  p99: number;
  errors: number;
}

function micros(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const scale = { us: 1, ms: 1000, s: 1e6 }[m[2] as 'us' | 'ms' | 's'];
  return Number(m[1]) * scale;
}

export async function wrk(
  url: string,
  opts: { connections: number; seconds: number; close?: boolean; script?: string },
): Promise<WrkResult> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency'];
  if (opts.close) args.push('-H', 'Connection: close');
  if (opts.script) args.push('-s', opts.script);
  const out = await sh('wrk', [...args, url]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: micros(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: micros(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    errors: non2xx + (errors ? errors.slice(1).reduce((s, x) => s + Number(x), 0) : 0),
  };
}

/**
 * A wrk script that waits `ms` before each request on a connection: an open, light load, so latency is the
 * path's own and not a queue behind a saturated CPU. wrk starts a request's clock after the wait.
 */
export function pacedScript(ms: number): string {
  return `function delay()\n  return ${ms}\nend\n`;
}
