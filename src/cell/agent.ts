// The cell agent: follows the control plane's change stream and keeps this host's kernel rules, DNS,
// TLS proxy and containers in line with it. Planning is pure (plan.ts); each part applies its own share.
import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { DnsServer } from '../dns/server.js';
import { buildZone } from '../dns/zone.js';
import { readHostResolvers } from '../dns/upstream.js';
import { Enforcer } from '../enforcer/enforcer.js';
import type { Cell, Change } from '../model/types.js';
import { allocateIp, gatewayAddress, parseCidr, parseIpv4 } from '../network/cidr.js';
import { setupCellNetwork, teardownCellNetwork } from '../network/cell-network.js';
import { detachContainer } from '../network/container-network.js';
import { setupVxlan, syncRemoteCells, teardownVxlan } from '../network/vxlan.js';
import { adoptContainer } from '../runtime/adopt.js';
import { enterCellCgroup, type CellCgroup } from '../runtime/cell-cgroup.js';
import { STOP_GRACE_MS } from '../runtime/container.js';
import { checkOverlay, readHostFacts } from '../network/overlay-choice.js';
import { TlsProxy } from '../proxy/index.js';
import { pinnedFetch } from '../ca/pinned-fetch.js';
import { CellApiClient } from './api-client.js';
import { readInstanceFile, readSavedWorld, writeSavedWorld, type InstanceFile } from './files.js';
import type { Registry } from 'prom-client';
import { Coalescer } from './coalescer.js';
import { registerCellMetrics } from './metrics.js';
import { cellLinks, type CellLinks } from './links.js';
import { Follower } from './follower.js';
import type { FollowedMessage } from './stream-reader.js';
import { isPlacedHere, LocalInstanceRunner, proxiedPorts } from './instance.js';
import { C2C_TLS_PORT } from '../model/ports.js';
import { DNS_PORT, type LocalInstance } from './local.js';
import { CellPaths } from './paths.js';
import { planEnforcer, type CellIdentity } from './plan.js';
import { writeTrust } from './trust.js';
import { affects, World } from './world.js';

export interface CellConfig {
  /** The control plane's https:// URL. */
  api: string;
  /** The platform CA the control plane's certificate must chain to. */
  caPem: string;
  token: string;
  cellId: string;
  hostIp: string;
  /** WEFT_HOME/cell: credentials, logs, the last known world. */
  root: string;
  /** nft table; host veth prefix; the dummy link holding the gateway address. */
  table: string;
  /** Prefix of the host links the cell creates (see links.ts). */
  linkPrefix: string;
}

const FIRST_UID = 40_000;
const FIRST_PROXY_PORT = 40_000;
const PROXY_PORTS_PER_INSTANCE = 8;
const START_RETRY_MS = 2_000;

export class CellAgent {
  private world: World | null = null;
  private cell: Cell | null = null;
  private identity: CellIdentity | null = null;
  private cgroup: CellCgroup | null = null;
  private readonly runners = new Map<string, LocalInstanceRunner>();
  private readonly client: CellApiClient;
  private readonly links: CellLinks;
  private readonly paths: CellPaths;
  private readonly follower: Follower;
  private readonly enforcer: Enforcer;
  private readonly proxy: TlsProxy;
  private dns: DnsServer | null = null;
  private caPem = '';
  private ready: (() => void) | null = null;
  private connected = false;
  private readonly kernel: Coalescer;
  private readonly zone: Coalescer;
  private readonly instances: Coalescer;
  private readonly certs: Coalescer;
  private readonly save: Coalescer;
  private readonly overlay: Coalescer;

  constructor(
    private readonly config: CellConfig,
    private readonly logger: Logger,
  ) {
    this.links = cellLinks(config.linkPrefix);
    const fetch = pinnedFetch(config.caPem);
    this.client = new CellApiClient(config.api, fetch, config.token, config.cellId);
    this.paths = new CellPaths(config.root);
    this.enforcer = new Enforcer({ table: config.table, logger });
    this.proxy = new TlsProxy({ logger });
    const fail = (what: string) => (err: unknown) => logger.error({ err: String(err) }, `${what} failed`);
    this.kernel = new Coalescer(() => this.applyKernel(), fail('kernel update'));
    this.zone = new Coalescer(
      () => Promise.resolve(this.dns?.setZone(buildZone(this.requireWorld().toSnapshot()))),
      fail('DNS update'),
    );
    this.instances = new Coalescer(() => this.reconcileInstances(), fail('instance reconcile'));
    this.certs = new Coalescer(async () => {
      await Promise.all([...this.runners.values()].map((r) => r.refresh()));
    }, fail('certificate refresh'));
    this.save = new Coalescer(() => this.saveWorld(), fail('saving the last known state'));
    this.overlay = new Coalescer(() => this.syncOverlay(), fail('overlay update'));
    this.follower = new Follower(
      config.api,
      fetch,
      config.token,
      {
        onMessage: (m) => this.onMessage(m),
        onConnected: (up) => {
          if (up !== this.connected) {
            logger.info({ connected: up }, up ? 'following the control plane' : 'control plane unreachable');
          }
          this.connected = up;
        },
        revision: () => this.world?.revision ?? 0,
      },
      logger,
    );
  }

  /**
   * Registers, builds the host side of the overlay, and starts following; resolves once serving. With
   * the control plane unreachable, a cell that ran before starts from what it last knew.
   */
  async start(): Promise<void> {
    const firstWorld = new Promise<void>((resolve) => (this.ready = resolve));
    try {
      this.cell = await this.client.register(this.config.hostIp);
      this.caPem = await this.client.caCertificate();
    } catch (err) {
      const saved = await readSavedWorld(this.paths.lastWorld);
      if (!saved) throw err;
      this.logger.warn({ err: String(err) }, 'control plane unreachable; starting from the last known state');
      this.cell = saved.cell;
      this.caPem = saved.caPem;
      this.world = new World(saved.snapshot);
      void this.onFirstWorld()
        .then(() => this.everything())
        .catch((e: unknown) => this.fatal(e));
    }
    void this.follower.run();
    await firstWorld;
  }

  /** Adds the cell's metrics to a Prometheus registry (the control plane's, or the cell's own). */
  registerMetrics(registry: Registry): void {
    registerCellMetrics(registry, {
      proxy: this.proxy,
      dns: () => this.dns,
      connected: () => this.connected,
      revision: () => this.world?.revision ?? 0,
    });
  }

  /** Without cleanup, apps keep running and the kernel keeps enforcing; the next cell adopts them. */
  async stop(opts: { cleanup: boolean }): Promise<void> {
    this.logger.info({ cleanup: opts.cleanup }, 'stopping the cell');
    this.follower.stop();
    if (opts.cleanup) await Promise.all([...this.runners.values()].map((r) => r.stop()));
    else for (const r of this.runners.values()) r.abandon();
    this.runners.clear();
    await this.proxy.close();
    await this.dns?.stop();
    if (opts.cleanup && this.identity && this.cell) {
      await this.enforcer.remove();
      await teardownVxlan(this.links.vxlan);
      await teardownCellNetwork({
        gatewayIp: this.identity.gatewayIp,
        gatewayIface: this.links.gateway,
        subnet: this.cell.subnet,
        overlay: this.identity.overlayCidr,
      });
      await this.cgroup?.leave();
    }
  }

  private requireWorld(): World {
    if (!this.world) throw new Error('no state from the control plane yet');
    return this.world;
  }

  private onMessage(m: FollowedMessage): void {
    if (m.type === 'heartbeat') return;
    if (m.type === 'snapshot') {
      this.world = new World(m.snapshot);
      void this.onFirstWorld()
        .then(() => this.everything())
        .catch((err: unknown) => this.fatal(err));
      return;
    }
    if (!this.world?.apply(m.change) || !this.identity) return;
    this.react(m.change);
  }

  private react(change: Change): void {
    const hit = affects(change.kind);
    if (hit.kernel) void this.kernel.kick();
    if (hit.dns) void this.zone.kick();
    if (hit.instances) void this.instances.kick();
    if (hit.certs) void this.certs.kick();
    if (hit.overlay) void this.overlay.kick();
    void this.save.kick();
  }

  private async everything(): Promise<void> {
    await Promise.all([
      this.overlay.kick(),
      this.kernel.kick(),
      this.zone.kick(),
      this.instances.kick(),
      this.save.kick(),
    ]);
  }

  private async onFirstWorld(): Promise<void> {
    if (this.identity || !this.cell) return;
    const world = this.requireWorld();
    const overlap = checkOverlay(world.overlayCidr, await readHostFacts());
    if (overlap.length > 0) {
      throw new Error(`overlay ${world.overlayCidr} overlaps this host: ${overlap.join('; ')}`);
    }
    const gatewayIp = gatewayAddress(this.cell.subnet);
    await setupCellNetwork({
      gatewayIp,
      gatewayIface: this.links.gateway,
      subnet: this.cell.subnet,
      overlay: world.overlayCidr,
    });
    await setupVxlan({
      iface: this.links.vxlan,
      hostIp: this.config.hostIp,
      gatewayIp,
      overlay: world.overlayCidr,
    });
    await writeTrust(this.paths, this.caPem, gatewayIp);
    this.dns = new DnsServer({
      host: gatewayIp,
      // resolv.conf cannot name a port: containers ask the gateway on 53.
      port: DNS_PORT,
      upstream: await readHostResolvers(),
      logger: this.logger,
    });
    await this.dns.start();
    this.cgroup = await enterCellCgroup(this.config.table);
    this.identity = {
      cellId: this.config.cellId,
      exemptCgroup: { path: this.cgroup.path, level: this.cgroup.level },
      table: this.config.table,
      ifacePrefix: this.links.containerPrefix,
      overlayCidr: world.overlayCidr,
      gatewayIp,
    };
    await this.adoptOrSweep();
    this.logger.info({ subnet: this.cell.subnet, gatewayIp }, 'cell network ready');
    this.ready?.();
  }

  /** A cell that failed to come up must not look as if it serves: stop, and say why. */
  private fatal(err: unknown): void {
    this.logger.fatal({ err: String(err) }, 'the cell cannot start');
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  }

  /**
   * Takes back the containers an earlier cell process left running, when the world still wants them
   * here; removes the rest. Until then their traffic is denied, never allowed: the kernel table built
   * from the plan has no entries for them.
   */
  private async adoptOrSweep(): Promise<void> {
    const world = this.requireWorld();
    for (const guid of await fs.readdir(this.paths.instancesDir).catch(() => [] as string[])) {
      const state = await readInstanceFile(this.paths.instanceState(guid));
      const instance = world.tables.instance.get(guid);
      const container = state?.pid ? await adoptContainer(guid, state.pid, state.netns) : null;
      if (state && container && instance && isPlacedHere(instance, this.config.cellId, world)) {
        const runner = this.runner(localPart(state));
        this.runners.set(guid, runner);
        await runner.start(container).catch((err: unknown) => this.startFailed(runner, err));
        this.logger.info({ instance: guid }, 'adopted a running instance');
        continue;
      }
      await container?.stop(STOP_GRACE_MS);
      if (state) await detachContainer({ netns: state.netns, hostIface: state.hostIface });
      await fs.rm(this.paths.instanceDir(guid), { recursive: true, force: true });
    }
  }

  /** Routes every other cell's subnet through the VXLAN link to that cell's host. */
  private async syncOverlay(): Promise<void> {
    if (!this.identity) return;
    const remotes = [...this.requireWorld().tables.cell.values()]
      .filter((c) => c.id !== this.config.cellId)
      .map((c) => ({ subnet: c.subnet, gatewayIp: gatewayAddress(c.subnet), hostIp: c.hostIp }));
    await syncRemoteCells(this.links.vxlan, remotes);
  }

  private locals(): LocalInstance[] {
    return [...this.runners.values()].map((r) => r.local);
  }

  private async applyKernel(): Promise<void> {
    if (!this.identity) return;
    await this.enforcer.apply(planEnforcer(this.requireWorld(), this.identity, this.locals()));
  }

  private async reconcileInstances(): Promise<void> {
    if (!this.identity || !this.cell) return;
    const world = this.requireWorld();
    const wanted = [...world.tables.instance.values()].filter((i) =>
      isPlacedHere(i, this.config.cellId, world),
    );
    const wantedGuids = new Set(wanted.map((i) => i.guid));
    const leaving = [...this.runners.values()].filter((r) => !wantedGuids.has(r.local.guid));
    for (const r of leaving) this.runners.delete(r.local.guid);
    await Promise.all(leaving.map((r) => r.stop()));
    if (leaving.length > 0) await this.kernel.kick();

    const subnet = this.cell.subnet;
    const used = new Set([this.identity.gatewayIp, ...this.locals().map((l) => l.ip)]);
    const starting: Promise<void>[] = [];
    for (const i of wanted) {
      if (this.runners.has(i.guid)) continue;
      const app = world.tables.app.get(i.appGuid);
      if (!app) continue;
      const ip = allocateIp(subnet, used);
      used.add(ip);
      const slot = parseIpv4(ip) - parseCidr(subnet).base;
      const short = i.guid.replaceAll('-', '').slice(0, 8);
      const local: LocalInstance = {
        guid: i.guid,
        appGuid: i.appGuid,
        index: i.index,
        ip,
        hostIface: this.links.container(i.guid),
        netns: `weft-${short}`,
        uid: FIRST_UID + slot,
        proxyPorts: proxiedPorts(app, FIRST_PROXY_PORT + slot * PROXY_PORTS_PER_INSTANCE),
      };
      const runner = this.runner(local);
      this.runners.set(i.guid, runner);
      starting.push(runner.start().catch((err: unknown) => this.startFailed(runner, err)));
    }
    await Promise.all(starting);
  }

  private runner(local: LocalInstance): LocalInstanceRunner {
    if (!this.identity) throw new Error('the cell network is not ready');
    return new LocalInstanceRunner(local, {
      api: this.client,
      proxy: this.proxy,
      paths: this.paths,
      logger: this.logger,
      gatewayIp: this.identity.gatewayIp,
      caPem: () => this.caPem,
      world: () => this.requireWorld(),
      applyKernel: () => this.kernel.kick(),
      allows: (caller, dest) => this.allows(caller, dest),
    });
  }

  /** Undoes a half-made instance and tries again later; the control plane still wants it. */
  private async startFailed(runner: LocalInstanceRunner, err: unknown): Promise<void> {
    this.logger.error({ err: String(err), instance: runner.local.guid }, 'instance start failed; retrying');
    this.runners.delete(runner.local.guid);
    await runner.stop().catch(() => undefined);
    setTimeout(() => void this.instances.kick(), START_RETRY_MS).unref();
  }

  private allows(callerAppGuid: string, destAppGuid: string): boolean {
    if (this.policyAllowsTls(callerAppGuid, destAppGuid)) return true;
    const apps = this.requireWorld().tables.app;
    this.logger.warn(
      {
        caller: apps.get(callerAppGuid)?.name ?? callerAppGuid,
        destination: apps.get(destAppGuid)?.name ?? destAppGuid,
      },
      'mutual TLS refused a caller: no policy allows its app to reach the destination on 61443',
    );
    return false;
  }

  private policyAllowsTls(callerAppGuid: string, destAppGuid: string): boolean {
    for (const p of this.requireWorld().tables.policy.values()) {
      if (
        p.sourceAppGuid === callerAppGuid &&
        p.destAppGuid === destAppGuid &&
        p.protocol === 'tcp' &&
        p.startPort <= C2C_TLS_PORT &&
        p.endPort >= C2C_TLS_PORT
      ) {
        return true;
      }
    }
    return false;
  }

  private async saveWorld(): Promise<void> {
    if (!this.cell) return;
    await fs.mkdir(this.paths.root, { recursive: true, mode: 0o700 });
    await writeSavedWorld(this.paths.lastWorld, {
      cell: this.cell,
      caPem: this.caPem,
      snapshot: this.requireWorld().toSnapshot(),
    });
  }
}

function localPart(state: InstanceFile): LocalInstance {
  const { guid, appGuid, index, ip, hostIface, netns, uid, proxyPorts } = state;
  return { guid, appGuid, index, ip, hostIface, netns, uid, proxyPorts };
}
