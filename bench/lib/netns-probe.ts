// The host's side of bench/child/netns-probe.ts: starts it inside a network namespace and sends it requests.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Scope } from './cleanup.js';
import { daemon, stderrTail, waitForLine } from './proc.js';

const ENTRY = fileURLToPath(new URL('../child/netns-probe.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ProbeRequest {
  id: number;
  /** open/closed: TCP connect; verified/wrong-name: TLS handshake for `servername`; http/https: GET / answers 200. */
  op: 'open' | 'closed' | 'verified' | 'wrong-name' | 'http' | 'https';
  host: string;
  port: number;
  servername?: string;
}

export interface NetnsProbe {
  /** Resolves with the ms the probe took from receiving the request to the wanted outcome. */
  request(r: Omit<ProbeRequest, 'id'>): Promise<number>;
}

export async function startProbe(scope: Scope, netns: string, caPath: string): Promise<NetnsProbe> {
  const child = daemon(
    scope,
    'ip',
    ['netns', 'exec', netns, process.execPath, '--import', 'tsx', ENTRY, caPath],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  await waitForLine(child, /"ready":true/, 60_000);
  const pending = new Map<number, { resolve: (ms: number) => void; reject: (e: Error) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { id?: number; ms?: number; error?: string };
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p || m.id === undefined) return;
    pending.delete(m.id);
    if (m.ms !== undefined) p.resolve(m.ms);
    else p.reject(new Error(`probe in ${netns}: ${m.error ?? 'no answer'}`));
  });
  child.once('exit', () => {
    for (const p of pending.values()) p.reject(new Error(`probe in ${netns} exited: ${stderrTail(child)}`));
    pending.clear();
  });
  let nextId = 1;
  return {
    request(r) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin!.write(`${JSON.stringify({ ...r, id })}\n`);
      });
    },
  };
}
