// Builds a small copy of a weft cell for tests: routed containers (netns + veth, no bridge, like silk) around a
// dummy interface holding the gateway IP. Every resource registers its undo, run in reverse by cleanup().
import { execFile, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const AGENT = fileURLToPath(new URL('./netns-agent.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export async function sh(file: string, ...args: string[]): Promise<string> {
  return (await execFileAsync(file, args)).stdout;
}

/** A process inside a namespace that serves and probes on request (see netns-agent.ts). */
export class Agent {
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    let markReady: () => void = () => undefined;
    this.ready = new Promise((resolve) => (markReady = resolve));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; id?: number; result?: unknown; error?: string };
      if (msg.ready) return markReady();
      const waiter = this.#waiting.get(msg.id ?? 0);
      this.#waiting.delete(msg.id ?? 0);
      if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
      else waiter?.resolve(msg.result);
    });
  }

  request<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }
}

export interface Container {
  name: string;
  ns: string;
  ip: string;
  hostIface: string;
  agent: Agent;
}

export class TestCell {
  readonly #undo: (() => Promise<unknown>)[] = [];
  readonly containers = new Map<string, Container>();

  constructor(
    /** Unique per run: goes into every name. */
    readonly id: string,
    readonly ifacePrefix: string,
    readonly gatewayIp: string,
  ) {}

  onCleanup(undo: () => Promise<unknown>): void {
    this.#undo.push(undo);
  }

  async addGateway(): Promise<void> {
    // A bridge without ports stands in for the dummy interface: some kernels here are built without dummy.
    const link = `wg${this.id}`;
    await sh('ip', 'link', 'add', link, 'type', 'bridge');
    this.onCleanup(() => sh('ip', 'link', 'del', link));
    await sh('ip', 'addr', 'add', `${this.gatewayIp}/32`, 'dev', link);
    await sh('ip', 'link', 'set', link, 'up');
  }

  async addContainer(name: string, ip: string): Promise<Container> {
    const ns = `weft-enf-${this.id}-${name}`;
    const hostIface = `${this.ifacePrefix}${name}`;
    await sh('ip', 'netns', 'add', ns);
    // Deleting the namespace also deletes the veth pair and the host route through it.
    this.onCleanup(() => sh('ip', 'netns', 'del', ns));
    await sh('ip', 'link', 'add', hostIface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await sh('ip', 'addr', 'add', '169.254.0.1/32', 'dev', hostIface);
    await sh('ip', 'link', 'set', hostIface, 'up');
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    await sh('ip', '-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
    await sh('ip', '-n', ns, 'route', 'add', '169.254.0.1', 'dev', 'eth0', 'scope', 'link');
    await sh('ip', '-n', ns, 'route', 'add', 'default', 'via', '169.254.0.1', 'dev', 'eth0');
    await sh('ip', 'route', 'add', `${ip}/32`, 'dev', hostIface, 'src', this.gatewayIp);

    const agent = await this.#startAgent(['ip', 'netns', 'exec', ns], name);
    const container = { name, ns, ip, hostIface, agent };
    this.containers.set(name, container);
    return container;
  }

  /** An agent in the host's own network namespace: a process on the host, not the cell. */
  addHostAgent(name: string): Promise<Agent> {
    return this.#startAgent([], name);
  }

  async #startAgent(prefix: string[], name: string): Promise<Agent> {
    const [file = process.execPath, ...args] = [...prefix, process.execPath, '--import', 'tsx', AGENT, name];
    const child = spawn(file, args, { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    this.onCleanup(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        await exited;
      }
    });
    const agent = new Agent(child);
    await agent.ready;
    return agent;
  }

  container(name: string): Container {
    const c = this.containers.get(name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  }

  /** Undoes everything in reverse order; keeps going past failures and reports them at the end. */
  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    for (const undo of this.#undo.reverse()) {
      try {
        await undo();
      } catch (err) {
        errors.push(err);
      }
    }
    this.#undo.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, 'test cell cleanup failed');
  }
}
