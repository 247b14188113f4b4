// Runs `weft server` as a child process with its own WEFT_HOME, for tests that talk to it over HTTPS.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { caFileOf, pinnedFetch } from './pinned-fetch.js';

// bin/weft execs node (the compiled code once `npm run build` is current), so a SIGKILL hits the process
// that owns the database, not a wrapper.
const WEFT = fileURLToPath(new URL('../../bin/weft', import.meta.url));
const START_TIMEOUT_MS = 60_000;
export const TEST_OVERLAY = '10.99.0.0/16';

export interface ServerOptions {
  /** postgres://… URL; the SQLite file under WEFT_HOME when absent. */
  database?: string;
  /** An existing WEFT_HOME (to restart a server); a fresh temp dir, removed on stop, when absent. */
  home?: string;
  flags?: string[];
  /** The admin token of an earlier server on the same database: only the first start writes one. */
  adminToken?: string;
  /** The CA seal key file; PostgreSQL servers of one test process share one unless told otherwise. */
  sealKeyFile?: string;
}

export interface Reply<T> {
  status: number;
  body: T;
}

export interface TestServer {
  url: string;
  home: string;
  adminToken: string;
  /** The platform CA's certificate file, for clients such as curl --cacert. */
  caFile: string;
  caPem: string;
  /** fetch that trusts the platform CA only. */
  fetch: ReturnType<typeof pinnedFetch>;
  /** Calls the API; a string body is sent as is, anything else as JSON; token null sends none. */
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string | null): Promise<Reply<T>>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL: the process gets no chance to flush or close anything. */
  kill(): Promise<void>;
  /** What the server wrote to stderr, to explain a failure. */
  log(): string;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh seal key in a root-only file, removed when the test process exits. */
export function newSealKeyFile(): string {
  const dir = tempDir('weft-seal-');
  const file = path.join(dir, 'ca-seal.key');
  fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return file;
}

let shared: string | undefined;
function sharedSealKeyFile(): string {
  shared ??= newSealKeyFile();
  return shared;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const ownHome = options.home === undefined;
  const home = options.home ?? tempDir('weft-home-');
  const args = ['server', '--listen', '127.0.0.1:0', '--overlay', TEST_OVERLAY];
  if (options.database !== undefined) args.push('--database', options.database);
  args.push(...(options.flags ?? []));
  const sealKeyFile =
    options.sealKeyFile ?? (options.database?.startsWith('postgres') === true ? sharedSealKeyFile() : '');
  const child = spawn(WEFT, args, {
    env: { ...process.env, WEFT_HOME: home, WEFT_LOG_LEVEL: 'warn', WEFT_CA_SEAL_KEY_FILE: sealKeyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    if (ownHome) fs.rmSync(home, { recursive: true, force: true });
  };

  try {
    const url = await listeningUrl(child, () => stderr);
    const adminToken = options.adminToken ?? fs.readFileSync(path.join(home, 'admin-token'), 'utf8').trim();
    const fetch = pinnedFetch(home);
    return {
      url,
      home,
      adminToken,
      caFile: caFileOf(home),
      caPem: fs.readFileSync(caFileOf(home), 'utf8'),
      fetch,
      api: (method, p, body, token) =>
        callApi(fetch, url, method, p, body, token === undefined ? adminToken : token),
      stop: () => end('SIGTERM'),
      kill: () => end('SIGKILL'),
      log: () => stderr,
    };
  } catch (err) {
    await end('SIGKILL');
    throw err;
  }
}

function listeningUrl(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail('did not start in time'), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`weft server ${why}\nstdout: ${stdout}\nstderr: ${stderr()}`));
    };
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      const match = /listening on (https:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
}

async function callApi<T>(
  fetch: ReturnType<typeof pinnedFetch>,
  url: string,
  method: string,
  p: string,
  body: unknown,
  token: string | null,
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (typeof body === 'string') payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${url}${p}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
}
