// Runs a host tool with execFile, optionally feeding stdin, and turns a failure into an error that quotes stderr.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim()}`);
  }
}

function failure(command: string, err: unknown): CommandError {
  const e = err as { code?: unknown; stderr?: unknown; message?: string };
  const stderr = typeof e.stderr === 'string' && e.stderr !== '' ? e.stderr : (e.message ?? String(err));
  return new CommandError(command, typeof e.code === 'number' ? e.code : null, stderr);
}

export async function run(file: string, args: string[], stdin?: string): Promise<string> {
  const pending = execFileAsync(file, args, { maxBuffer: 256 * 1024 * 1024 });
  // A tool that exits without reading stdin makes the write fail with EPIPE; its exit status tells what went wrong.
  pending.child.stdin?.on('error', () => undefined);
  pending.child.stdin?.end(stdin ?? '');
  try {
    return (await pending).stdout;
  } catch (err) {
    throw failure(`${file} ${args.join(' ')}`, err);
  }
}
