// The spawner: a small Node process that starts weft's commands for it. Forking copies the forking
// process's page tables while its event loop waits, so a fork costs in proportion to the process's
// memory: ~20 ms from a daemon of 250 MB, ~2 ms from this one. Plain JavaScript, so it runs without
// a loader. It serves one request per IPC message, `{id, argv, input, outputFile}`, and answers
// `{id, code, signal, stdout, stderr}` or `{id, error}`; it exits when weft goes (the channel closes).
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import process from 'node:process';

// A stop of weft's process group (Ctrl-C, systemd) must not end the spawner while weft cleans up.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
process.on('disconnect', () => process.exit(0));

function answer(message) {
  if (process.connected) process.send(message);
}

function serve({ id, argv, input, outputFile }) {
  const [program, ...args] = argv;
  // The command's output straight to a file (appended), as a container's log; else collected.
  const output = outputFile === undefined ? null : openSync(outputFile, 'a', 0o600);
  let child;
  try {
    const stdio = output === null ? ['pipe', 'pipe', 'pipe'] : ['pipe', output, output];
    child = spawn(program, args, { stdio, detached: true });
  } catch (err) {
    answer({ id, error: String(err) });
    return;
  } finally {
    if (output !== null) closeSync(output);
  }
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.on('error', (err) => answer({ id, error: String(err) }));
  child.on('close', (code, signal) => answer({ id, code, signal, stdout, stderr }));
  // A program that fails before reading its input closes the pipe; its exit status tells what happened.
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
}

process.on('message', serve);
answer({ ready: true });
