import { spawn } from 'node:child_process';

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

/**
 * Runs a program from an argv array (never through a shell), feeding `input` on stdin; resolves with stdout.
 *
 * The program runs in a process group of its own, so a signal meant for weft does not cut it short and leave
 * a cleanup half done: weft decides when it stops. One killed by SIGINT or SIGTERM all the same is run again:
 * a signal to weft's group reaches a program in the instant between its fork and its setsid (its signals are
 * blocked then; it dies before its exec, having done nothing), and systemd signals every process of its unit.
 */
export async function run(argv: string[], input?: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(argv, input);
    } catch (err) {
      const killedByStop =
        err instanceof CommandError && err.signal !== null && GROUP_STOP_SIGNALS.has(err.signal);
      if (!killedByStop || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

function runOnce(argv: string[], input?: string): Promise<string> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve(stdout) : reject(new CommandError(argv, code, stderr, signal)),
    );
    // A program that fails before reading its input closes the pipe; its exit status tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
