// The cell's side of `weft ssh` and `weft logs`: the control plane's order arrives on the change stream;
// the cell dials back to the API with its own token and the order's one-time secret (it listens on
// nothing), then runs the command in the instance's container as the app's user, or reads the app's logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PassThrough, type Duplex, type Readable, type Writable } from 'node:stream';
import type { Logger } from 'pino';
import { SECRET_HEADER, type SessionRequest } from '../contract/session.js';
import { anotherServerMayTry } from '../endpoints/failure.js';
import { ApiEndpoints, CONNECT_TIMEOUT_MS } from '../endpoints/failover.js';
import { execInContainer } from '../runtime/exec.js';
import type { RuntimeRef } from '../runtime/oci/runtime-choice.js';
import { dialSession, RefusedSession } from '../session/dial.js';
import { CALLER_FRAMES, encodeData, encodeFrame, FrameReader, FrameType } from '../session/frames.js';
import { APP_DIR } from './container-view.js';
import type { CellFiles } from './files.js';

/** Sessions this cell serves at once (the control plane bounds them too). */
const MAX_SESSIONS = 64;
/** How long a process is given to end after the session closed, before it is killed. */
const KILL_GRACE_MS = 2_000;

export interface CellSessionsConfig {
  api: ApiEndpoints;
  caPem: string;
  token: string;
  cellId: string;
  files: CellFiles;
  runtime: RuntimeRef;
  logger: Logger;
}

export class CellSessions {
  private count = 0;

  constructor(private readonly config: CellSessionsConfig) {}

  /** Serves one order; failures are logged, and the caller hears them if the stream was reached. */
  async open(id: string, secret: string, request: SessionRequest): Promise<void> {
    const log = this.config.logger.child({ session: id, kind: request.kind });
    if (this.count >= MAX_SESSIONS) {
      log.warn(`refusing a session: ${MAX_SESSIONS} are open`);
      return;
    }
    this.count += 1;
    try {
      const stream = await this.dialBack(id, secret);
      await (request.kind === 'ssh' ? this.ssh(stream, request) : this.logs(stream, request));
    } catch (err) {
      log.warn({ err: String(err) }, 'a session failed');
    } finally {
      this.count -= 1;
    }
  }

  /** Tries each server: the one holding the session takes it; the others answer 404. */
  private dialBack(id: string, secret: string): Promise<Duplex> {
    const { api, caPem, token, cellId } = this.config;
    const path = `/v1/cells/${encodeURIComponent(cellId)}/sessions/${encodeURIComponent(id)}`;
    const headers = { authorization: `Bearer ${token}`, [SECRET_HEADER]: secret };
    // Its own list, the current server first: a session's 404s must not move the cell's other calls.
    const servers = new ApiEndpoints([api.current, ...api.urls.filter((u) => u !== api.current)]);
    return servers.call(
      (url) => dialSession(`${url}${path}`, caPem, headers, CONNECT_TIMEOUT_MS),
      (err) => (err instanceof RefusedSession ? err.status === 404 : anotherServerMayTry(err, 'GET')),
    );
  }

  private async ssh(stream: Duplex, request: Extract<SessionRequest, { kind: 'ssh' }>): Promise<void> {
    const state = await this.config.files.readInstance(request.instanceGuid);
    if (state === null || state.pid === null) {
      fail(stream, `instance ${request.instanceGuid} is not running on cell ${this.config.cellId}`);
      return;
    }
    const shell = `stty cols ${request.cols} rows ${request.rows} 2>/dev/null; exec /bin/sh -i`;
    const command = request.command ?? (request.tty ? shell : undefined);
    const child = await execInContainer(this.config.runtime, request.instanceGuid, {
      uid: state.uid,
      gid: state.uid,
      command: command === undefined ? undefined : ['/bin/sh', '-c', command],
      tty: request.tty,
      env: { ...state.env, TERM: request.term },
      cwd: APP_DIR,
    });
    await serve(stream, fromChild(child, child.stdout!));
  }

  private async logs(stream: Duplex, request: Extract<SessionRequest, { kind: 'logs' }>): Promise<void> {
    const dir = this.config.files.paths.logDir(request.appGuid);
    const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.log')).sort();
    if (files.length === 0) {
      stream.end(encodeFrame(FrameType.exit, '0'));
      return;
    }
    // tail names each file in a "==> FILE <==" line before its lines; that gives each line's instance.
    const args = ['-v', '-n', request.recent ? '+1' : '20', ...(request.recent ? [] : ['-F']), ...files];
    const tail = spawn('tail', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const tagged = new PassThrough();
    let index = '?';
    createInterface({ input: tail.stdout })
      .on('line', (line) => {
        const header = /^==> (\d+)\.log <==$/.exec(line);
        if (header) index = header[1] ?? '?';
        else if (line !== '') tagged.write(`[APP/PROC/WEB/${index}] ${line}\n`);
      })
      .on('close', () => tagged.end());
    await serve(stream, fromChild(tail, tagged));
  }
}

/** A process as a session serves it: its output, its input if it takes any, and how it ended. */
interface Served {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable | null;
  exit: Promise<number>;
  stop(): void;
}

function fromChild(child: ChildProcess, stdout: Readable): Served {
  return {
    stdout,
    stderr: child.stderr!,
    stdin: child.stdin,
    exit: new Promise((resolve) => child.on('close', (code) => resolve(code ?? 255))),
    stop: () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
    },
  };
}

/** The caller hears why, and exit code 255. */
function fail(stream: Duplex, why: string): void {
  stream.write(encodeFrame(FrameType.error, why));
  stream.end(encodeFrame(FrameType.exit, '255'));
}

/** Carries the caller's stdin in and the process's output out, frame by frame, until it exits. */
async function serve(stream: Duplex, p: Served): Promise<void> {
  let ended = false;
  stream.on('error', () => stream.destroy());
  stream.on('close', () => {
    if (!ended) p.stop();
  });
  p.stdin?.on('error', () => undefined);
  const reader = new FrameReader(CALLER_FRAMES);
  stream.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = reader.push(chunk);
    } catch {
      stream.destroy();
      return;
    }
    for (const f of frames) {
      if (p.stdin === null) continue;
      if (f.type === FrameType.stdinEnd) p.stdin.end();
      else if (!p.stdin.write(f.payload)) {
        stream.pause();
        p.stdin.once('drain', () => stream.resume());
      }
    }
  });
  const pump = (from: Readable, type: FrameType) =>
    new Promise<void>((resolve) => {
      from.on('data', (chunk: Buffer) => {
        let ok = true;
        for (const frame of encodeData(type, chunk)) ok = stream.write(frame) && ok;
        if (!ok) {
          from.pause();
          stream.once('drain', () => from.resume());
        }
      });
      from.on('end', resolve);
      from.on('error', () => resolve());
    });
  const [code] = await Promise.all([
    p.exit,
    pump(p.stdout, FrameType.stdout),
    pump(p.stderr, FrameType.stderr),
  ]);
  ended = true;
  stream.end(encodeFrame(FrameType.exit, String(code)));
}
