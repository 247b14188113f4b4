// One instance on this cell, from placement to removal: network, certificates, proxy listeners,
// the container itself, health, reports to the control plane, and restarts with backoff.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import type { Logger } from 'pino';
import { generateKeyAndCsr } from '../ca/index.js';
import type { Instance, StreamApp } from '../model/types.js';
import { instanceNames } from '../model/names.js';
import { attachContainer, detachContainer } from '../network/container-network.js';
import type { TlsProxy } from '../proxy/index.js';
import { startContainer, STOP_GRACE_MS, type Container } from '../runtime/container.js';
import type { CellApiClient } from './api-client.js';
import { APP_HTTP_PORT, C2C_TLS_PORT, FIRST_APP_TLS_PORT } from '../model/ports.js';
import type { LocalInstance } from './local.js';
import { readInstanceFile, writeInstanceFile } from './files.js';
import type { CellPaths } from './paths.js';
import type { World } from './world.js';
import { APP_DIR, containerEnv, containerMounts } from './container-view.js';

export interface InstanceHost {
  api: CellApiClient;
  proxy: TlsProxy;
  paths: CellPaths;
  logger: Logger;
  gatewayIp: string;
  caPem: () => string;
  world: () => World;
  /** Brings the kernel to the current plan; resolves once it holds. */
  applyKernel: () => Promise<void>;
  /** Whether the caller app may reach the destination app on 61443, for mutual TLS. */
  allows: (callerAppGuid: string, destAppGuid: string) => boolean;
}

const MAX_BACKOFF_MS = 30_000;
const HEALTH_POLL_MS = 50;
const RENEW_BEFORE_EXPIRY_MS = 30 * 60_000;
const RENEWAL_JITTER_MS = 5 * 60_000;
const RENEWAL_RETRY_MS = 60_000;

export class LocalInstanceRunner {
  private container: Container | null = null;
  private stopping = false;
  /** Set once the proxy serves the instance: certificate refreshes before that have nothing to update. */
  private serving = false;
  private restarts = 0;
  private served = '';
  private renewal: NodeJS.Timeout | null = null;
  /** Resolves once the proxy serves the instance and the kernel lets policy-allowed traffic reach it. */
  private ready: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly logFile: string;

  constructor(
    readonly local: LocalInstance,
    private readonly host: InstanceHost,
  ) {
    this.log = host.logger.child({ instance: local.guid, index: local.index });
    this.logFile = host.paths.logFile(local.appGuid, local.index);
  }

  private get app(): StreamApp {
    const app = this.host.world().tables.app.get(this.local.appGuid);
    if (!app) throw new Error(`app ${this.local.appGuid} is gone`);
    return app;
  }

  /** Sets the instance up and starts its app, or takes over `adopted`, left running by an earlier cell. */
  async start(adopted: Container | null = null): Promise<void> {
    const { local, host } = this;
    await fs.mkdir(host.paths.credentialsDir(local.guid), { recursive: true, mode: 0o700 });
    await fs.mkdir(path.dirname(this.logFile), { recursive: true, mode: 0o700 });
    // Independent of each other: the network, the identity the app reads as it starts, the 61443 certificate.
    const [, , c2c] = await Promise.all([
      adopted
        ? undefined
        : attachContainer({
            netns: local.netns,
            hostIface: local.hostIface,
            ip: local.ip,
            gatewayIp: host.gatewayIp,
          }),
      this.refreshIdentity(),
      this.issueC2c(),
    ]);
    // The app starts while the proxy and kernel are set up: until the kernel holds its tag every flow to it
    // is denied, and it is reported running only once both are ready.
    let ready = () => {};
    this.ready = new Promise<void>((resolve) => (ready = resolve));
    void this.run(adopted);
    try {
      const identity = await this.identityCredentials();
      const app = this.app;
      await Promise.all(
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
      );
      this.serving = true;
      // Routes mapped while the instance was being set up are picked up here.
      await this.refresh();
      await host.applyKernel();
    } catch (err) {
      // The cell undoes this instance (stop()); the app must not be reported running meanwhile.
      this.stopping = true;
      throw err;
    } finally {
      ready();
    }
  }

  /** Called on every change to the world: re-issues the 61443 certificate when the names changed. */
  async refresh(): Promise<void> {
    if (this.stopping || !this.serving) return;
    const names = this.names().join(',');
    if (names !== this.served) {
      const creds = await this.issueC2c();
      this.host.proxy.updateCredentials(proxyGuid(this.local.guid, C2C_TLS_PORT), creds);
      this.log.info({ names }, 'serving new certificate on 61443');
    }
    this.host.proxy.setMtls(
      proxyGuid(this.local.guid, C2C_TLS_PORT),
      this.app.mtls ? this.mtlsPolicy() : null,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.renewal) clearTimeout(this.renewal);
    await this.container?.stop(STOP_GRACE_MS);
    for (const p of this.local.proxyPorts)
      await this.host.proxy.removeInstance(proxyGuid(this.local.guid, p.port));
    await detachContainer({ netns: this.local.netns, hostIface: this.local.hostIface });
    await fs.rm(this.host.paths.instanceDir(this.local.guid), { recursive: true, force: true });
  }

  /** The cell is stopping without cleaning up: the app keeps running for the next cell to adopt. */
  abandon(): void {
    this.stopping = true;
    if (this.renewal) clearTimeout(this.renewal);
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

  private async issueC2c(): Promise<{ certPem: string; keyPem: string }> {
    const { keyPem, csrPem } = await generateKeyAndCsr(this.local.guid);
    const issued = await this.host.api.certificate(this.local.guid, 'c2c', csrPem, this.local.ip);
    this.served = issued.names.join(',');
    this.scheduleRenewal(issued.certificate);
    return { certPem: issued.certificate, keyPem };
  }

  /**
   * Certificates are short-lived: both are renewed together about 30 minutes before the 61443 one
   * expires, with jitter so a cell's instances do not all ask the CA at once.
   */
  private scheduleRenewal(certPem: string): void {
    if (this.renewal) clearTimeout(this.renewal);
    const cert = new X509Certificate(certPem);
    const notBefore = Date.parse(cert.validFrom);
    const notAfter = Date.parse(cert.validTo);
    const lifetime = notAfter - notBefore;
    const renewAt = notBefore + Math.max(lifetime - RENEW_BEFORE_EXPIRY_MS, (lifetime * 2) / 3);
    const jitter = Math.random() * Math.min(RENEWAL_JITTER_MS, lifetime / 10);
    this.schedule(Math.max(renewAt - jitter - Date.now(), 0), notAfter);
  }

  private schedule(delayMs: number, notAfter: number): void {
    this.renewal = setTimeout(() => void this.renew(notAfter), delayMs);
    this.renewal.unref();
  }

  private async renew(notAfter: number): Promise<void> {
    if (this.stopping) return;
    try {
      await this.refreshIdentity();
      const identity = await this.identityCredentials();
      for (const p of this.local.proxyPorts) {
        if (p.port !== C2C_TLS_PORT)
          this.host.proxy.updateCredentials(proxyGuid(this.local.guid, p.port), identity);
      }
      this.host.proxy.updateCredentials(proxyGuid(this.local.guid, C2C_TLS_PORT), await this.issueC2c());
      this.log.info('renewed the instance certificates');
    } catch (err) {
      this.log.warn(
        { err: String(err), expires: new Date(notAfter).toISOString() },
        'could not renew the instance certificates; serving the current ones until they expire',
      );
      this.schedule(RENEWAL_RETRY_MS, notAfter);
    }
  }

  private async refreshIdentity(): Promise<void> {
    const { keyPem, csrPem } = await generateKeyAndCsr(this.local.guid);
    const issued = await this.host.api.certificate(this.local.guid, 'identity', csrPem, this.local.ip);
    const dir = this.host.paths.credentialsDir(this.local.guid);
    await fs.writeFile(`${dir}/instance.crt`, pemChain(issued.certificate, issued.ca), { mode: 0o444 });
    await fs.writeFile(`${dir}/instance.key`, keyPem, { mode: 0o400 });
    await fs.chown(`${dir}/instance.key`, this.local.uid, this.local.uid);
    // The app reads this directory through its bind mount; on the host, the 0700 instance directory
    // around it keeps every other container out.
    await fs.chown(dir, this.local.uid, this.local.uid);
    await fs.chmod(dir, 0o500);
  }

  private async identityCredentials(): Promise<{ certPem: string; keyPem: string }> {
    const dir = this.host.paths.credentialsDir(this.local.guid);
    return {
      certPem: await fs.readFile(`${dir}/instance.crt`, 'utf8'),
      keyPem: await fs.readFile(`${dir}/instance.key`, 'utf8'),
    };
  }

  private mtlsPolicy() {
    return {
      caPem: this.host.caPem(),
      authorize: (caller: string) => this.host.allows(caller, this.local.appGuid),
    };
  }

  /** Runs the app until it is stopped, restarting it with backoff when it exits on its own. */
  private async run(adopted: Container | null): Promise<void> {
    let running = adopted;
    while (!this.stopping) {
      const app = this.app;
      const started = Date.now();
      // An adopted container keeps the env it was started with; a new one gets the app's env now.
      const env = running ? await this.savedEnv() : await this.freshEnv(app);
      this.container = running ?? (env ? await this.startApp(app, env) : null);
      running = null;
      await writeInstanceFile(
        this.host.paths.instanceState(this.local.guid),
        this.local,
        this.container?.pid ?? null,
        env ?? {},
      );
      if (this.container) {
        const exited = this.container.exited;
        const healthy = await Promise.race([
          this.waitHealthy(app).then(() => true),
          exited.then(() => false),
        ]);
        if (healthy) await this.ready;
        if (healthy && !this.stopping) await this.report('RUNNING');
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

  private async savedEnv(): Promise<Record<string, string>> {
    return (await readInstanceFile(this.host.paths.instanceState(this.local.guid)))?.env ?? {};
  }

  private async startApp(app: StreamApp, env: Record<string, string>): Promise<Container | null> {
    await this.report('STARTING');
    try {
      return await startContainer(
        {
          id: this.local.guid,
          netns: this.local.netns,
          command: app.command,
          cwd: APP_DIR,
          env,
          uid: this.local.uid,
          gid: this.local.uid,
          memoryMb: app.memoryMb,
          hostname: this.local.guid.slice(0, 8),
          mounts: containerMounts(this.host.paths, app, this.local.guid),
        },
        { logFile: this.logFile, onLog: (m) => this.log.warn(m) },
      );
    } catch (err) {
      this.log.error({ err: String(err) }, 'instance failed to start');
      this.note(`failed to start: ${String(err)}`);
      return null;
    }
  }

  private async report(state: 'STARTING' | 'RUNNING' | 'CRASHED'): Promise<void> {
    try {
      await this.host.api.report(this.local.guid, state, this.local.ip);
    } catch (err) {
      this.log.warn({ err: String(err) }, 'could not report to the control plane');
    }
  }

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

function pemChain(...pems: string[]): string {
  return pems.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}

function proxyGuid(instanceGuid: string, port: number): string {
  return `${instanceGuid}:${port}`;
}

/** Ports the proxy serves for an app: 61443 → 8080 with the c2c certificate, 61001+i → the app's i-th port. */
export function proxiedPorts(app: StreamApp, firstProxyPort: number): LocalInstance['proxyPorts'] {
  const ports: LocalInstance['proxyPorts'] = [];
  if (app.ports.includes(APP_HTTP_PORT)) {
    ports.push({ port: C2C_TLS_PORT, proxyPort: firstProxyPort, backendPort: APP_HTTP_PORT });
  }
  app.ports.forEach((p, i) => {
    ports.push({ port: FIRST_APP_TLS_PORT + i, proxyPort: firstProxyPort + 1 + i, backendPort: p });
  });
  return ports;
}

export function isPlacedHere(i: Instance, cellId: string, world: World): boolean {
  return i.cellId === cellId && world.tables.app.get(i.appGuid)?.state === 'STARTED';
}
