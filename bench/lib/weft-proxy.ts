// Starts bench/child/weft-proxy.ts: weft's TlsProxy (node driving its HAProxy) in a process tree of its own.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Credentials } from '../../src/proxy/index.js';
import type { Scope } from './cleanup.js';
import { daemon, waitForLine } from './proc.js';

const ENTRY = fileURLToPath(new URL('../child/weft-proxy.ts', import.meta.url));

export async function weftProxy(
  scope: Scope,
  dir: string,
  backendPort: number,
  credentials: Credentials[],
  nodeFlags: string[] = [],
): Promise<{ ports: number[]; child: ChildProcess; haproxyPid: number }> {
  const config = path.join(dir, `weft-proxy-${randomUUID()}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      backendPort,
      instances: credentials.map((c) => ({ guid: randomUUID(), credentials: c })),
    }),
    { mode: 0o600 },
  );
  const child = daemon(scope, process.execPath, [
    '--expose-gc',
    ...nodeFlags,
    '--import',
    'tsx',
    ENTRY,
    config,
  ]);
  const ready = await waitForLine(child, /ready ([\d,]+) (\d+)\n/, 120_000);
  return { ports: (ready[1] ?? '').split(',').map(Number), child, haproxyPid: Number(ready[2]) };
}
