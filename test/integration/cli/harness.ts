// A real control plane and the real `weft` CLI, each a subprocess, with their state in temp dirs.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
// The launcher users run: the compiled code once `npm run build` is current, the sources otherwise.
const WEFT = path.join(ROOT, 'bin/weft');

export interface Server {
  url: string;
  home: string;
  /** The platform CA's certificate, for `weft api --ca-cert` away from the server's home. */
  caFile: string;
  stop(): Promise<void>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startServer(): Promise<Server> {
  const home = tempDir('weft-cli-home-');
  const child = spawn(WEFT, ['server', '--listen', '127.0.0.1:0', '--overlay', '10.99.0.0/16'], {
    cwd: ROOT,
    env: { ...process.env, WEFT_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stop = async () => {
    await killGroup(child);
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    return { url: await listeningUrl(child), home, caFile: path.join(home, 'ca', 'ca.crt'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /weft control plane listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`weft server exited (${code}) before listening:\n${out}\n${err}`)),
    );
  });
}

/** Ends the whole process group the server leads. */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

export function weft(args: string[], env: { config: string; home?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(WEFT, args, {
      cwd: ROOT,
      env: { ...process.env, WEFT_CLI_CONFIG: env.config, WEFT_HOME: env.home ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A command that succeeded; its standard output. */
export function succeeded(r: CliResult): string {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/** cf's failure: non-zero, FAILED, the reason in words, no stack trace. */
export function failedWith(r: CliResult, reason: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got:\n${r.stdout}`);
  assert.match(r.stderr, /^FAILED\n/);
  assert.match(r.stderr, reason);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
