// One instance on this cell, from placement to removal: network, proxy listeners, the container itself,
// health, reports to the control plane, and restarts with backoff. Its certificates live in certificates.ts.
import { mkdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import type { Logger } from 'pino';
import type { StreamApp } from '../model/types.js';
import { instanceNames } from '../model/names.js';
import {
  repairHostSide,
  unwireContainer,
  wireContainer,
  type HostSideState,
} from '../network/container-network.js';
import { namedNetnsPath } from '../network/named-netns.js';
import type { NetnsPool } from '../network/netns-pool.js';
import type { TlsProxy } from '../proxy/index.js';
import type { Histogram } from 'prom-client';
import {
  deleteContainer,
  prepareRootfs,
  startContainer,
  STOP_GRACE_MS,
  type Container,
  type ContainerHost,
} from '../runtime/container.js';
import { DEFAULT_DISK_MB, DEFAULT_PIDS, hostId, type UserNamespace } from '../runtime/container-spec.js';
import { slotUserns } from '../runtime/userns.js';
import { FIRST_UID } from './allocation.js';
import type { CellApiClient } from './api-client.js';
import { APP_HTTP_PORT, C2C_TLS_PORT } from '../model/ports.js';
import { InstanceCertificates, type Credentials, type IssuedC2c } from './certificates.js';
import type { LocalInstance } from './local.js';
import type { CellFiles } from './files.js';
import type { PackageCache } from './packages.js';
import type { PolicyIndex } from './policy-index.js';
import type { World } from './world.js';
import { APP_DIR, containerEnv, containerMounts } from './container-view.js';
import {
  addInstanceNetns,
  CONTAINER_IFNAME,
  detachInstance,
  instanceNetnsPath,
  releasePooledName,
  wireInstance,
} from './instance-network.js';
import { StartTrace } from './start-trace.js';

export interface InstanceHost {
  api: CellApiClient;
  proxy: TlsProxy;
  files: CellFiles;
  logger: Logger;
  gatewayIp: string;
  /** The cell's weft-cni socket: instances join the network through the plugin. */
  cniSocket: string;
  caPem: () => string;
  world: () => World;
  /** Who may call whom: read at each mutual-TLS handshake. */
  policies: PolicyIndex;
  /** Brings the kernel to the current plan; resolves once it holds. */
  applyKernel: () => Promise<void>;
  /** The cell's unpacked app packages. */
  packages: PackageCache;
  /** The OCI runtime and the stack the containers run on. */
  containers: ContainerHost;
  /** Namespaces made ahead for the next starts, if the cell keeps any. */
  netnsPool: NetnsPool | null;
  /** The stack's name and version, reported with each instance's state. */
  stack: string;
  /** Whether each container gets a user namespace of its own (see runtime/userns.ts). */
  userns: boolean;
  /** weft_cell_instance_start_step_seconds: each first start's steps (start-trace.ts). */
  startSteps: Histogram<'step'>;
}

/** What a container's start waits for: its namespace and log directory to create it, the rest to start it. */
interface StartGates {
  create: Promise<unknown>;
  /** The network wired and the identity written. */
  start: Promise<unknown>;
}

/** Made in place, as the credentials directory is: see InstanceCertificates.credentialsDirectory. */
function makeDirectory(dir: string): Promise<void> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
const MAX_BACKOFF_MS = 30_000;
/** A refused connection costs next to nothing: poll often, the app is up sooner than a coarse poll sees. */
const HEALTH_POLL_MS = 10;

export class LocalInstanceRunner {
  private container: Container | null = null;
  /** A container start in flight; it never rejects. */
  private starting: Promise<void> = Promise.resolve();
  private stopping = false;
  /** Set once the proxy serves the instance: certificate refreshes before that have nothing to update. */
  private serving = false;
  private restarts = 0;
  /** The names the 61443 certificate being served carries. */
  private served = '';
  /** Resolves once the proxy serves the instance and the kernel lets policy-allowed traffic reach it. */
  private ready: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly logFile: string;
  /** Each step of the first start, logged once the app answers: where a start's time goes. */
  private readonly trace: StartTrace;
  /** The env for the first start, asked for while the network and identity are set up. */
  private firstEnv: Promise<Record<string, string> | null> | null = null;
  /** The root filesystem for the first start, mounted first thing: the longest step before the create. */
  private firstRootfs: Promise<string> | null = null;
  /** Reports go out in order, without holding up the start (see report()). */
  private reports: Promise<void> = Promise.resolve();
  private readonly certificates: InstanceCertificates;
  /** The container's own user namespace, if the host allows them. */
  private readonly userns: UserNamespace | null;

  constructor(
    readonly local: LocalInstance,
    private readonly host: InstanceHost,
  ) {
    this.log = host.logger.child({ instance: local.guid, index: local.index });
    this.logFile = host.files.paths.logFile(local.appGuid, local.index);
    this.userns = host.userns && !local.outside ? slotUserns(local.uid - FIRST_UID) : null;
    this.trace = new StartTrace(host.startSteps);
    this.certificates = new InstanceCertificates(
      local,
      host.api,
      host.files.paths,
      this.log,
      (id, c2c) => this.serveRenewed(id, c2c),
      hostId(this.userns, local.uid),
    );
  }

  private get app(): StreamApp {
    const app = this.host.world().tables.app.get(this.local.appGuid);
    if (!app) throw new Error(`app ${this.local.appGuid} is gone`);
    return app;
  }

  /** Sets the instance up and starts its app, or takes over `adopted`, left running by an earlier cell. */
  async start(adopted: Container | null = null): Promise<void> {
    const { local, host } = this;
    const time = this.time;
    const own = !adopted && !local.outside;
    if (own) {
      this.firstEnv = time('env', this.freshEnv(this.app));
      this.firstRootfs = this.rootfs();
    }
    const logDirectory = time('log directory', makeDirectory(path.dirname(this.logFile)));
    // Independent of each other: the root filesystem, the wiring, the identity the app reads as it starts,
    // and its env. The container is created in the namespace while the plugin wires it and the identity is
    // issued, and its app starts once both are done (as runtimes do: create, CNI ADD, start).
    const identityIssued = time('identity', this.certificates.issueIdentity());
    identityIssued.catch(() => undefined);
    const netns = own ? addInstanceNetns(local, host.netnsPool) : null;
    const netnsReady = netns ? time('netns', netns.path) : Promise.resolve();
    // Not after the namespace: the plugin's ADD waits for it in the cell, so the plugin starts meanwhile.
    const wired = adopted ? Promise.resolve() : time('network', this.attach());
    wired.catch(() => undefined);
    // The app starts while the proxy and kernel are set up: until the kernel holds its tag every flow to it
    // is denied, and it is reported running only once both are ready.
    let ready = () => {};
    this.ready = new Promise<void>((resolve) => (ready = resolve));
    const gates = {
      create: Promise.all([logDirectory, netnsReady]),
      start: Promise.all([wired, identityIssued]),
    };
    // Awaited only once the container gets that far; a failure before then is start()'s to report.
    gates.create.catch(() => undefined);
    gates.start.catch(() => undefined);
    if (!local.outside) void this.run(adopted, gates);
    // Only the proxy needs the 61443 certificate, and an app takes far longer to listen than it takes to
    // issue it and set the proxy up: asked for once the app has started (`starting`, set by run() at once),
    // they keep their CPU off the path to the start, which keeps two cores busy.
    const c2cIssued = time(
      'c2c certificate',
      this.starting.then(() => this.certificates.issueC2c()),
    );
    c2cIssued.catch(() => undefined);
    try {
      await logDirectory;
      const identity = await identityIssued;
      await wired;
      // Tools, restarts and the cell's checks find the namespace by the instance's own name.
      if (netns) await time('netns named', netns.named);
      const c2c = await c2cIssued;
      this.served = c2c.names.join(',');
      const app = this.app;
      await time(
        'proxy',
        Promise.all(
          local.proxyPorts.map((p) => {
            const isC2c = p.port === C2C_TLS_PORT;
            return host.proxy.addInstance({
              guid: proxyGuid(local.guid, p.port),
              listen: { host: host.gatewayIp, port: p.proxyPort },
              backend: { host: local.ip, port: p.backendPort },
              credentials: isC2c ? c2c : identity,
              ...(isC2c && app.mtls ? { mtls: this.mtlsPolicy() } : {}),
            });
          }),
        ),
      );
      this.serving = true;
      // Routes mapped while the instance was being set up are picked up here.
      await time('proxy refresh', this.refresh());
      await time('kernel', host.applyKernel());
    } catch (err) {
      // The cell undoes this instance (stop()); the app must not be reported running meanwhile.
      this.stopping = true;
      throw err;
    } finally {
      ready();
    }
  }

  /** Weft's own instances join through the weft-cni plugin; an outside container is in its ADD already. */
  private attach(): Promise<void> {
    const { local, host } = this;
    if (!local.outside) return wireInstance(host.cniSocket, local);
    const { netnsPath, ifname } = local.outside;
    return wireContainer({
      netnsPath,
      ifname,
      hostIface: local.hostIface,
      ip: local.ip,
      gatewayIp: host.gatewayIp,
    });
  }

  /** Brings what the proxy serves in line with the world: the 61443 certificate's names and mutual TLS callers. */
  async refresh(): Promise<void> {
    if (this.stopping || !this.serving) return;
    const names = this.names().join(',');
    if (names !== this.served) {
      const c2c = await this.certificates.issueC2c();
      this.served = c2c.names.join(',');
      await this.host.proxy.updateCredentials(proxyGuid(this.local.guid, C2C_TLS_PORT), c2c);
      this.log.info({ names: this.served }, 'serving new certificate on 61443');
    }
    await this.host.proxy.setMtls(
      proxyGuid(this.local.guid, C2C_TLS_PORT),
      this.app.mtls ? this.mtlsPolicy() : null,
    );
  }

  servedNames(): string[] | null {
    return this.serving ? this.served.split(',').filter((n) => n !== '') : null;
  }

  /** The periodic resync's check of the instance's wiring on the host; see repairHostSide. */
  checkNetwork(): Promise<HostSideState> {
    if (this.stopping || !this.serving) return Promise.resolve('intact');
    return repairHostSide({
      netnsPath: this.local.outside?.netnsPath ?? namedNetnsPath(this.local.netns),
      ifname: this.local.outside?.ifname ?? CONTAINER_IFNAME,
      hostIface: this.local.hostIface,
      ip: this.local.ip,
      gatewayIp: this.host.gatewayIp,
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.certificates.stop();
    await this.starting;
    // Each step runs whatever the one before did: a proxy that failed must not leave the container, its
    // wiring or its files behind. The first failure is reported once all have run.
    const steps: (() => Promise<unknown>)[] = [
      () => this.container?.stop(STOP_GRACE_MS) ?? Promise.resolve(),
      ...this.local.proxyPorts.map(
        (p) => () => this.host.proxy.removeInstance(proxyGuid(this.local.guid, p.port)),
      ),
      () => (this.local.outside ? this.leave() : detachInstance(this.host.cniSocket, this.local)),
      () => this.host.files.removeInstance(this.local.guid),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await step().catch((err: unknown) => failures.push(err));
    if (failures.length > 0)
      throw new AggregateError(failures, `stopping instance ${this.local.guid} failed`);
  }

  /** An outside container is ready: it runs already, so it is reported running, and its state is kept. */
  async announceOutside(): Promise<void> {
    await this.host.files.writeInstance(this.local, null, {});
    await this.host.api.report(this.local.guid, 'RUNNING', this.local.ip);
  }

  /** An outside container's wiring goes, and its instance leaves the app; its container is not ours to stop. */
  private async leave(): Promise<void> {
    try {
      await unwireContainer({ hostIface: this.local.hostIface });
    } finally {
      // Whatever became of the wiring, the instance leaves the app.
      await this.host.api.leaveExternal(this.local.guid).catch((err: unknown) => {
        // Already gone is fine; otherwise the resync's orphan sweep tries again.
        this.log.warn({ err: String(err) }, 'could not remove the outside instance from the control plane');
      });
    }
  }

  /** The cell is stopping without cleaning up: the app keeps running for the next cell to adopt. */
  abandon(): void {
    this.stopping = true;
    this.certificates.stop();
  }

  private serveRenewed(identity: Credentials, c2c: IssuedC2c): void {
    for (const p of this.local.proxyPorts) {
      const guid = proxyGuid(this.local.guid, p.port);
      this.host.proxy
        .updateCredentials(guid, p.port === C2C_TLS_PORT ? c2c : identity)
        .catch((err: unknown) =>
          this.log.error({ err: String(err) }, 'could not serve renewed certificates'),
        );
    }
    this.served = c2c.names.join(',');
  }

  private names(): string[] {
    const w = this.host.world();
    return instanceNames(
      w.tables.route.values(),
      (g) => w.tables.domain.get(g),
      this.local.appGuid,
      this.local.index,
    );
  }

  /** Callers must present an identity of an app a policy lets reach this one on 61443. */
  private mtlsPolicy() {
    return {
      caPem: this.host.caPem(),
      callers: this.host.policies.callersOf(this.local.appGuid, 'tcp', C2C_TLS_PORT),
    };
  }

  /** Runs the app until it is stopped, restarting it with backoff when it exits on its own. */
  private async run(adopted: Container | null, gates: StartGates): Promise<void> {
    let running = adopted;
    while (!this.stopping) {
      const app = this.app;
      const started = Date.now();
      // An adopted container keeps the env it was started with; a new one gets the app's env now.
      const envAsked = running ? this.savedEnv() : this.takeEnv(app);
      this.container = running ?? (await this.startApp(app, envAsked, gates));
      const env = await envAsked;
      running = null;
      // stop() came while the container started: it stops the container once the start is done.
      if (this.stopping) return;
      await this.host.files.writeInstance(this.local, this.container?.pid ?? null, env ?? {});
      if (this.container) {
        const exited = this.container.exited;
        const healthy = await Promise.race([
          this.time('health check', this.waitHealthy(app)).then(() => true),
          exited.then(() => false),
        ]);
        if (healthy) await this.ready;
        if (healthy && !this.stopping) await this.report('RUNNING');
        const trace = healthy ? this.trace.finish() : null;
        if (trace) this.log.info({ ms: trace }, 'instance running');
        const exit = await exited;
        if (this.stopping) return;
        this.note(`instance exited (${exit.code ?? exit.signal ?? 'status unknown'}); restarting`);
      }
      if (Date.now() - started > MAX_BACKOFF_MS) this.restarts = 0;
      await this.report('CRASHED');
      const backoff = Math.min(1000 * 2 ** this.restarts++, MAX_BACKOFF_MS);
      await new Promise((r) => setTimeout(r, backoff));
    }
  }

  /** The app's env comes from the control plane for this instance only; the stream never carries it. */
  private async freshEnv(app: StreamApp): Promise<Record<string, string> | null> {
    try {
      const appEnv = await this.host.api.instanceEnv(this.local.guid);
      return containerEnv(this.host.world(), app, appEnv, this.local);
    } catch (err) {
      this.note(`could not get the app's env from the control plane: ${String(err)}`);
      return null;
    }
  }

  /** The env fetched as the instance was set up, for its first start; a fresh one for each restart. */
  private takeEnv(app: StreamApp): Promise<Record<string, string> | null> {
    const env = this.firstEnv ?? this.freshEnv(app);
    this.firstEnv = null;
    return env;
  }

  private async savedEnv(): Promise<Record<string, string>> {
    return (await this.host.files.readInstance(this.local.guid))?.env ?? {};
  }

  /** Sets `container` before it resolves, so a stop() waiting on `starting` finds the container to stop. */
  private startApp(
    app: StreamApp,
    env: Promise<Record<string, string> | null>,
    gates: StartGates,
  ): Promise<Container | null> {
    const starting = this.launch(app, env, gates).then((c) => (this.container = c));
    this.starting = starting.then(() => undefined);
    return starting;
  }

  /** Null when the env could not be had (a [CELL] line says why) or the container did not start. */
  private async launch(
    app: StreamApp,
    envAsked: Promise<Record<string, string> | null>,
    gates: StartGates,
  ): Promise<Container | null> {
    void this.report('STARTING');
    const { containers, files } = this.host;
    const { guid, uid } = this.local;
    const rootfs = this.firstRootfs ?? this.rootfs();
    this.firstRootfs = null;
    try {
      if (app.packageDigest === null) throw new Error('the app has no package yet: push its bits');
      // The credentials are bind-mounted as a directory: it is there at create, filled before the start.
      this.certificates.credentialsDirectory();
      const [appDir, env] = await Promise.all([
        this.time('package', this.host.packages.ensure(app.packageDigest)),
        envAsked,
        gates.create,
      ]);
      if (env === null) {
        await this.discard(rootfs);
        return null;
      }
      const netnsPath = await instanceNetnsPath(this.local);
      const spec = {
        id: guid,
        netnsPath,
        command: app.command,
        cwd: APP_DIR,
        env,
        uid,
        gid: uid,
        memoryMb: app.memoryMb,
        diskMb: DEFAULT_DISK_MB,
        pids: DEFAULT_PIDS,
        hostname: guid.slice(0, 8),
        mounts: containerMounts(files.paths, appDir, guid),
        userns: this.userns,
      };
      return await this.time(
        'container',
        startContainer(containers, spec, this.logFile, { gate: gates.start, rootfs, time: this.time }),
      );
    } catch (err) {
      await this.discard(rootfs);
      this.log.error({ err: String(err) }, 'instance failed to start');
      this.note(`failed to start: ${String(err)}`);
      return null;
    } finally {
      // The first create and the plugin's ADD are done with a pooled namespace's name; restarts use its own.
      void releasePooledName(guid).catch((err: unknown) =>
        this.log.warn({ err: String(err) }, 'could not drop the pool’s name of the namespace'),
      );
    }
  }

  /** The root filesystem needs neither the env nor the app's files: it is mounted while they come. */
  private rootfs(): Promise<string> {
    const { guid, uid } = this.local;
    const spec = { id: guid, uid, gid: uid, diskMb: DEFAULT_DISK_MB, userns: this.userns };
    const mounted = prepareRootfs(this.host.containers, spec, this.time);
    mounted.catch(() => undefined);
    return mounted;
  }

  /** A start given up before its container runs: the root filesystem mounted for it goes. */
  private async discard(rootfs: Promise<string>): Promise<void> {
    await rootfs.catch(() => undefined);
    await deleteContainer(this.host.containers, this.local.guid).catch((err: unknown) =>
      this.log.warn({ err: String(err) }, 'could not remove the container of a failed start'),
    );
  }

  /** Sent after every earlier report, so the control plane never sees them out of order; never rejects. */
  private report(state: 'STARTING' | 'RUNNING' | 'CRASHED'): Promise<void> {
    this.reports = this.reports.then(async () => {
      try {
        await this.host.api.report(this.local.guid, state, this.local.ip, this.host.stack);
      } catch (err) {
        this.log.warn({ err: String(err) }, 'could not report to the control plane');
      }
    });
    return this.reports;
  }

  /** `p`, its span noted under `step` in the first start's trace. */
  private readonly time = <T>(step: string, p: Promise<T>): Promise<T> => this.trace.time(step, p);

  /** A line of the cell's own in the instance's log, as Cloud Foundry's [CELL] lines. */
  private note(message: string): void {
    void fs.appendFile(this.logFile, `[CELL] ${message}\n`).catch(() => undefined);
  }

  /** Healthy once the app accepts connections on its first port, as Cloud Foundry's port check does. */
  private async waitHealthy(app: StreamApp): Promise<void> {
    const port = app.ports[0] ?? APP_HTTP_PORT;
    while (!this.stopping) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: this.local.ip, port, timeout: 500 });
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
        s.once('timeout', () => (s.destroy(), resolve(false)));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }
}

function proxyGuid(instanceGuid: string, port: number): string {
  return `${instanceGuid}:${port}`;
}
