// Two "hosts" for the overlay tests: network namespaces joined by a veth, each with a WEFT_HOME of its own,
// weft's daemons and CLI run on either. A host is entered with nsenter, not `ip netns exec`: that one
// mounts a fresh /sys whose cgroups are not the machine's, and the cells' containers, their cgroups and
// the cell's own (its sockets' exemption) live there.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '../../..');
const WEFT = path.join(ROOT, 'bin/weft');

export class TwoHosts {
  /** The namespaces' names. */
  readonly names: [string, string];
  readonly homes: [string, string];
  readonly work: string;
  /** Every daemon started on either host, stopped by remove(). */
  readonly daemons: ChildProcess[] = [];
  private readonly env: NodeJS.ProcessEnv;

  /** `tag`: a short prefix for the namespaces; `net`: the first two octets of the veth's /24 (172.30 …). */
  constructor(
    tag: string,
    private readonly net: string,
  ) {
    const id = `${tag}${process.pid % 10000}`;
    this.names = [`${id}a`, `${id}b`];
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), `weft-${tag}-`));
    this.homes = [path.join(this.work, 'h1'), path.join(this.work, 'h2')];
    this.env = { ...process.env, WEFT_CLI_CONFIG: path.join(this.work, 'cli.json') };
  }

  /** Host `i`'s address on the veth; the subnet differs per test process. */
  address(i: 0 | 1): string {
    return `${this.net}.${(process.pid % 200) + 20}.${i + 1}`;
  }

  /** Makes both namespaces and the veth between them. */
  async link(): Promise<void> {
    const [a, b] = this.names;
    for (const h of this.names) await run('ip', ['netns', 'add', h]);
    await run('ip', ['link', 'add', `${a}v`, 'type', 'veth', 'peer', 'name', `${b}v`]);
    for (const [i, h] of this.names.entries()) {
      await run('ip', ['link', 'set', `${h}v`, 'netns', h]);
      await run('ip', ['-n', h, 'addr', 'add', `${this.address(i as 0 | 1)}/24`, 'dev', `${h}v`]);
      await run('ip', ['-n', h, 'link', 'set', `${h}v`, 'up']);
      await run('ip', ['-n', h, 'link', 'set', 'lo', 'up']);
    }
  }

  get api(): string {
    return `https://${this.address(0)}:9090`;
  }

  get caCert(): string {
    return path.join(this.homes[0], 'ca', 'ca.crt');
  }

  /**
   * `weft up` as cell-1 on host 0, the control plane beside its cell (overlay 10.96.0.0/16), with `flags`
   * added; the CLI on host 0 logged in as admin, targeting org o, space s; cell-2's token file written.
   */
  async startControlPlane(flags: string[]): Promise<void> {
    await this.startIn(
      0,
      [
        'up',
        '--cleanup',
        '--id',
        'cell-1',
        '--listen',
        `${this.address(0)}:9090`,
        '--overlay',
        '10.96.0.0/16',
        // Both "hosts" share this machine's /run: each cell serves the CNI plugin on its own socket.
        '--cni-socket',
        path.join(this.homes[0], 'cni.sock'),
        ...flags,
      ],
      'weft is up',
    );
    const token = fs.readFileSync(path.join(this.homes[0], 'admin-token'), 'utf8').trim();
    // What an operator hands the second host: the platform CA's certificate and a private token file.
    fs.writeFileSync(this.cellTokenFile, `${token}\n`, { mode: 0o600 });
    await this.ok(0, 'api', this.api, '--ca-cert', this.caCert);
    await this.ok(0, 'login', '--token', token);
    await this.ok(0, 'create-org', 'o');
    await this.ok(0, 'create-space', 's', '-o', 'o');
    await this.ok(0, 'target', '-o', 'o', '-s', 's');
  }

  /** `weft cell` as cell-2 on host 1, following the control plane, with `flags` added; resolves once running. */
  startCell2(flags: string[]): Promise<ChildProcess> {
    return this.startIn(
      1,
      [
        'cell',
        '--cleanup',
        '--id',
        'cell-2',
        '--api',
        this.api,
        '--ca-cert',
        this.caCert,
        '--token-file',
        this.cellTokenFile,
        '--cni-socket',
        path.join(this.homes[1], 'cni.sock'),
        ...flags,
      ],
      'running',
    );
  }

  private get cellTokenFile(): string {
    return path.join(this.work, 'cell-2.token');
  }

  /** Starts `weft ARGS` on host `i`; resolves once its stdout says `ready`. */
  startIn(i: 0 | 1, args: string[], ready: string): Promise<ChildProcess> {
    const child = spawn('nsenter', [...this.onHost(i), WEFT, ...args], {
      env: { ...this.env, WEFT_HOME: this.homes[i] },
    });
    this.daemons.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(ready)) resolve(child);
      });
      child.on('exit', (code) => reject(new Error(`weft ${args[0]} exited (${code}): ${err}`)));
    });
  }

  /** The CLI, run on host `i` as an operator there would (`weft ssh` needs the home of the cell it reaches). */
  async cli(i: 0 | 1, ...args: string[]): Promise<{ code: number; out: string }> {
    try {
      const r = await run('nsenter', [...this.onHost(i), WEFT, ...args], {
        env: { ...this.env, WEFT_HOME: this.homes[i] },
      });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: err.stdout + err.stderr };
    }
  }

  async ok(i: 0 | 1, ...args: string[]): Promise<string> {
    const r = await this.cli(i, ...args);
    assert.equal(r.code, 0, r.out);
    return r.out;
  }

  /** SIGTERM to every daemon still running and a wait for each, then the namespaces and files go. */
  async remove(): Promise<void> {
    const running = this.daemons.filter((d) => d.exitCode === null && d.signalCode === null);
    for (const d of running) d.kill('SIGTERM');
    await Promise.all(
      running.map(
        (d) =>
          new Promise((r) => (d.exitCode !== null || d.signalCode !== null ? r(null) : d.once('exit', r))),
      ),
    );
    for (const h of this.names) await run('ip', ['netns', 'del', h]).catch(() => undefined);
    fs.rmSync(this.work, { recursive: true, force: true });
  }

  private onHost(i: 0 | 1): string[] {
    return ['--net=/run/netns/' + this.names[i], '--'];
  }
}
