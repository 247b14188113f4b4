// `weft ssh` and `weft logs` on a real `weft up`, through the control plane: the CLI talks to the API
// only (it runs here as an unprivileged user, with nothing of the cell's files readable), the cell dials
// back and runs the command in the instance's container as the app's user, or reads the app's logs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, waitFor, WeftHost, type RunResult } from '../../helpers/weft-host.js';

const WEFT = path.resolve(import.meta.dirname, '../../../bin/weft');
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const WAIT_MS = 30_000;

describe('weft ssh and weft logs through the control plane', () => {
  let host: WeftHost;
  /** A copy of the CLI's config that the unprivileged user may read: API URL, CA, token, target. */
  let userDir: string;

  /** The CLI as user nobody, who can read no file of the cell. */
  const asNobody = (args: string[], input?: string): Promise<RunResult> => nobodyRuns([WEFT, ...args], input);
  const nobodyRuns = (argv: string[], input?: string): Promise<RunResult> =>
    run('setpriv', [...NOBODY, ...argv], {
      env: {
        PATH: process.env.PATH,
        HOME: userDir,
        WEFT_CLI_CONFIG: path.join(userDir, 'cli.json'),
        WEFT_HOME: path.join(userDir, 'home'),
        NO_COLOR: '1',
      },
      ...(input === undefined ? {} : { input }),
    });

  /** The cell's `tail -F` processes following this host's app logs. */
  const cellTails = async (): Promise<string[]> => {
    const pids = (await run('pgrep', ['-f', '^tail -v -n 20 -F'])).stdout.split('\n').filter((p) => p !== '');
    const ours: string[] = [];
    for (const pid of pids) {
      const cwd = await fs.promises.readlink(`/proc/${pid}/cwd`).catch(() => '');
      if (cwd.startsWith(host.home)) ours.push(pid);
    }
    return ours;
  };

  before(async () => {
    host = await WeftHost.start();
    await host.push('access-app', 'http-app', 2);
    await host.waitRunning('access-app', 2);
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-user-'));
    fs.copyFileSync(host.cliConfig, path.join(userDir, 'cli.json'));
    fs.chownSync(userDir, 65534, 65534);
    fs.chownSync(path.join(userDir, 'cli.json'), 65534, 65534);
  });

  after(async () => {
    if (userDir !== undefined) fs.rmSync(userDir, { recursive: true, force: true });
    await host?.shutdown();
  });

  test('ssh -c runs as the app’s user and passes back stdout, stderr and the exit code', async () => {
    const r = await asNobody(['ssh', 'access-app', '-c', 'id -u; echo oops >&2; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stdout.trim(), /^[1-9]\d*$/);
    assert.equal(r.stderr.trim(), 'oops');
  });

  test('ssh reaches each instance by index, and stdin crosses whole, however large', async () => {
    const index = await asNobody(['ssh', 'access-app', '-i', '1', '-c', 'echo $CF_INSTANCE_INDEX']);
    assert.equal(index.stdout.trim(), '1', index.stderr);
    const input = 'x'.repeat(300_000);
    const counted = await asNobody(['ssh', 'access-app', '-c', 'wc -c'], input);
    assert.equal(counted.stdout.trim(), '300000', counted.stderr);
  });

  test('an interactive shell runs under a pseudo-terminal, sized, and hands back its exit code', async () => {
    // script gives the CLI a terminal of its own, as a user's; the keys arrive as typed.
    const typed = 'stty size; tty; echo typed-$((6*7))\nexit 3\n';
    const r = await nobodyRuns(['script', '-qec', `${WEFT} ssh access-app`, '/dev/null'], typed);
    assert.equal(r.code, 3, r.stdout);
    assert.match(r.stdout, /\b24 80\r/);
    assert.match(r.stdout, /\/dev\/pts\/\d+\r/);
    assert.match(r.stdout, /typed-42\r/);
  });

  test('an instance that does not exist is refused by the API', async () => {
    const r = await asNobody(['ssh', 'access-app', '-i', '5', '-c', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /has no instance 5/);
  });

  test('logs --recent prints every instance’s output, tagged with its index', async () => {
    const lines = await waitFor(
      'both instances’ start lines',
      async () => {
        const r = await asNobody(['logs', 'access-app', '--recent']);
        assert.equal(r.code, 0, r.stderr);
        const both = ['0', '1'].every((i) =>
          r.stdout.includes(`[APP/PROC/WEB/${i}] access-app listening on 8080`),
        );
        return both ? r.stdout : undefined;
      },
      WAIT_MS,
    );
    assert.ok(
      lines.split('\n').every((l) => l === '' || /^\[APP\/PROC\/WEB\/\d\] /.test(l)),
      lines,
    );
  });

  test('logs follows what the app writes next, until the caller leaves', async () => {
    const follower = spawn('setpriv', [...NOBODY, WEFT, 'logs', 'access-app'], {
      env: {
        PATH: process.env.PATH,
        HOME: userDir,
        WEFT_CLI_CONFIG: path.join(userDir, 'cli.json'),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => follower.once('close', r));
    try {
      await waitFor(
        'the follower’s first lines',
        () => (out.includes('listening') ? true : undefined),
        WAIT_MS,
      );
      // The app's own output is its init's stdout, the log file; the app's user may write there too.
      const wrote = await host.ssh('access-app', 'echo followed-line >/proc/1/fd/1', { index: 1 });
      assert.equal(wrote.code, 0, wrote.stderr);
      assert.notDeepEqual(await cellTails(), [], 'the cell follows the log with tail');
      await waitFor(
        'the new line',
        () => (out.includes('[APP/PROC/WEB/1] followed-line') ? true : undefined),
        WAIT_MS,
      );
    } finally {
      follower.kill('SIGTERM');
      await exited;
    }
    // The cell's tail ends with the session.
    await waitFor(
      'the cell’s tail to end',
      async () => ((await cellTails()).length === 0 ? true : undefined),
      WAIT_MS,
    );
  });
});
