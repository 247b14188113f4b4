import { spawn, type StdioOptions } from 'node:child_process';
import { open } from 'node:fs/promises';
import { compiledProgram } from './compiled-program.js';
import {
  SPAWNER_CACHE_ENV,
  SPAWNER_DEFAULT_CACHE,
  SPAWNER_SOURCE,
  Spawner,
  type SpawnRequest,
  type SpawnResult,
} from './spawner.js';

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly signal: NodeJS.Signals | null = null,
  ) {
    super(
      `${argv.join(' ')} failed (${code === null ? `killed${signal ? ` by ${signal}` : ''}` : `exit ${code}`}): ${stderr.trim()}`,
    );
  }
}

// What a stop sends to every process of weft's group: a terminal's Ctrl-C, systemd's stop.
const GROUP_STOP_SIGNALS: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM']);
const MAX_ATTEMPTS = 10;

/** Set in a daemon: its commands are started by the spawner (spawner.ts), not forked from the daemon. */
let spawner: Spawner | null = null;

/** From now on this process's commands start through a small helper process; see spawner.ts. */
export async function spawnThroughHelper(): Promise<void> {
  if (spawner) return;
  const binary = await compiledProgram(
    {
      name: 'weft-spawner',
      source: SPAWNER_SOURCE,
      cacheDir: process.env[SPAWNER_CACHE_ENV] ?? SPAWNER_DEFAULT_CACHE,
    },
    run,
  );
  spawner ??= await Spawner.start(binary);
}

/** Ends the helper, once the daemon's last command has run; later commands fork from the daemon again. */
export async function stopSpawner(): Promise<void> {
  const helper = spawner;
  spawner = null;
  await helper?.close();
}

/**
 * Runs a program from an argv array (never through a shell), feeding `input` on stdin; resolves with stdout.
 *
 * The program runs in a process group of its own, so a signal meant for weft does not cut it short and leave
 * a cleanup half done: weft decides when it stops. One killed by SIGINT or SIGTERM all the same is run again:
 * a signal to weft's group reaches a program in the instant between its fork and its setsid (its signals are
 * blocked then; it dies before its exec, having done nothing), and systemd signals every process of its unit.
 */
export function run(argv: string[], input?: string): Promise<string> {
  return runRetried({ argv, ...(input === undefined ? {} : { input }) });
}

/** As run(), with the program's stdout and stderr appended to `file` (created 0600) instead of collected. */
export async function runToFile(argv: string[], file: string): Promise<void> {
  await runRetried({ argv, outputFile: file });
}

async function runRetried(request: SpawnRequest): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const { code, signal, stdout, stderr } = await runOnce(request);
    if (code === 0) return stdout;
    const err = new CommandError(request.argv, code, stderr, signal);
    const killedByStop = signal !== null && GROUP_STOP_SIGNALS.has(signal);
    if (!killedByStop || attempt >= MAX_ATTEMPTS) throw err;
  }
}

function runOnce(request: SpawnRequest): Promise<SpawnResult> {
  if (request.argv[0] === undefined) throw new Error('run: empty argv');
  if (spawner?.alive) return spawner.run(request);
  return spawnHere(request);
}

async function spawnHere({ argv, input, outputFile }: SpawnRequest): Promise<SpawnResult> {
  const [program, ...args] = argv as [string, ...string[]];
  const output = outputFile === undefined ? null : await open(outputFile, 'a', 0o600);
  try {
    return await new Promise((resolve, reject) => {
      const stdio: StdioOptions = output === null ? 'pipe' : ['pipe', output.fd, output.fd];
      const child = spawn(program, args, { stdio, detached: true });
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      // A program that fails before reading its input closes the pipe; its exit status tells what happened.
      child.stdin?.on('error', () => {});
      child.stdin?.end(input ?? '');
    });
  } finally {
    await output?.close();
  }
}
