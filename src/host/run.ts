import { spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${code === null ? 'killed' : `exit ${code}`}): ${stderr.trim()}`);
  }
}

/** Runs a program from an argv array (never through a shell), feeding `input` on stdin; resolves with stdout. */
export function run(argv: string[], input?: string): Promise<string> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new CommandError(argv, code, stderr)),
    );
    // A program that fails before reading its input closes the pipe; its exit status tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
