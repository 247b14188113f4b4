// The cell agent, a composition root: it follows the control plane's change stream into the cell's copy
// of the world and hands each change to the reconcilers (reconcilers.ts) that keep this host's kernel
// rules, overlay, DNS, proxy and containers in line with it. Decisions live in plan.ts and allocation.ts.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Enforcer } from '../enforcer/enforcer.js';
import type { Cell } from '../model/types.js';
import { syncRemoteCells } from '../network/vxlan.js';
import { TlsProxy } from '../proxy/index.js';
import { proxyListeners } from './allocation.js';
import { pinnedFetch } from '../ca/pinned-fetch.js';
import { CniServer } from '../network/cni/server.js';
import { CellApiClient } from './api-client.js';
import { ApiEndpoints, CONNECT_TIMEOUT_MS } from '../endpoints/failover.js';
import { answerQuestion } from './answers.js';
import type { CellAnswer, CellQuestion, ProbeResult } from '../contract/inspect.js';
import { namedNetnsPath } from '../network/named-netns.js';
import { Prober, type ProbeRequest } from './probe.js';
import { CellSessions } from './sessions.js';
import { cellCniHandler } from './cni-handler.js';
import { Converger } from './converger.js';
import { stackLabel, type CellContainers } from './containers.js';
import { CellFiles } from './files.js';
import { Follower } from './follower.js';
import { findUlogdPlugins, FlowLog, type FlowLogScope } from '../flows/flow-log.js';
import { setUpHost, tearDownHost, type HostSide } from './host-setup.js';
import { InstanceSet } from './instance-set.js';
import { cellLinks, type CellLinks } from './links.js';
import { instanceStartStepHistogram } from './start-trace.js';
import {
  kernelApplyHistogram,
  registerCellMetrics,
  registerKernelMetrics,
  ReconcileCounts,
} from './metrics.js';
import { CellPaths } from './paths.js';
import { PackageCache } from './packages.js';
import { isPlacedHere, type CellIdentity } from './plan.js';
import { PolicyIndex } from './policy-index.js';
import { Presence } from './presence.js';
import { cellReconcilers, FOLLOWS, type ReconcilerName } from './reconcilers.js';
import type { FollowedMessage } from './stream-reader.js';
import { World } from './world.js';
import { removeContainersCgroupParent } from '../runtime/container.js';
import { NetnsPool, netnsPoolPrefix } from '../network/netns-pool.js';

/** Logged denials per source address and second (burst twice that): Cloud Foundry rate-limits its denied-packet logs the same way. */
const DENIED_FLOWS_PER_SOURCE_PER_SECOND = 20;
/** Namespaces kept ready, refilled 300 ms after the last start took one (as the layer pool is). */
const READY_NETNS = 2;
const NETNS_REFILL_DELAY_MS = 300;

/** 1000..65535: NFLOG groups below are left to the host's own use. */
function nflogGroup(table: string): number {
  const digest = createHash('sha256').update(table).digest();
  return 1000 + (digest.readUInt32BE(0) % (65536 - 1000));
}

export interface CellConfig {
  /** The control plane's servers' https:// URLs, tried in order. */
  api: readonly string[];
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
  /** How often every reconciler runs in resync mode, repairing drift. */
  resyncMs: number;
  /** The OCI runtime and stack, prepared before the cell starts (containers.ts). */
  containers: CellContainers;
  /** Where the cell serves the weft-cni plugin (only root reaches it). */
  cniSocket: string;
  flowLog: FlowLogScope;
  /** How often the cell tells the control plane it is alive. */
  heartbeatMs: number;
}

/** What exists once the first world has set the host up. */
interface Running {
  cell: Cell;
  host: HostSide;
  instances: InstanceSet;
  converger: Converger<ReconcilerName>;
  cni: CniServer;
}

export class CellAgent {
  private world: World | null = null;
  private cell: Cell | null = null;
  private running: Running | null = null;
  private settingUp: Promise<void> | null = null;
  private caPem = '';
  private ready: (() => void) | null = null;
  private connected = false;
  private readonly client: CellApiClient;
  private readonly links: CellLinks;
  private readonly files: CellFiles;
  private readonly packages: PackageCache;
  private readonly follower: Follower;
  private readonly enforcer: Enforcer;
  private readonly proxy: TlsProxy;
  private readonly prober: Prober;
  private readonly sessions: CellSessions;
  private readonly counts = new ReconcileCounts();
  private readonly kernelApply = kernelApplyHistogram();
  private readonly startSteps = instanceStartStepHistogram();
  private flowLog: FlowLog | null = null;
  private readonly presence: Presence;
  /** Declared lost, its lease went to another cell: its network here is of no use any more. */
  private leaseGone = false;
  private readonly netnsPool: NetnsPool;

  constructor(
    private readonly config: CellConfig,
    private readonly logger: Logger,
  ) {
    this.links = cellLinks(config.linkPrefix);
    this.netnsPool = new NetnsPool({
      prefix: netnsPoolPrefix(config.linkPrefix),
      size: READY_NETNS,
      refillDelayMs: NETNS_REFILL_DELAY_MS,
      onError: (err) => logger.warn({ err: String(err) }, 'could not make a network namespace ahead'),
    });
    const fetch = pinnedFetch(config.caPem, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
    const api = new ApiEndpoints(config.api);
    this.client = new CellApiClient(api, fetch, config.token, config.cellId);
    this.files = new CellFiles(new CellPaths(config.root));
    this.packages = new PackageCache(
      this.files.paths.packagesDir,
      (digest, signal) => this.client.fetchPackage(digest, signal),
      () => this.packagesInUse(),
      logger,
    );
    this.enforcer = new Enforcer({
      table: config.table,
      logger,
      onApplied: (kind, seconds) => this.kernelApply.observe({ kind }, seconds),
    });
    this.proxy = new TlsProxy({ logger, runDir: this.files.paths.proxyDir });
    this.prober = new Prober(config.table, this.files.paths.trustBundle);
    this.sessions = new CellSessions({
      api,
      caPem: config.caPem,
      token: config.token,
      cellId: config.cellId,
      files: this.files,
      runtime: config.containers.host.runtime,
      logger,
    });
    this.follower = new Follower(
      api,
      fetch,
      config.token,
      config.cellId,
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
    this.presence = new Presence(
      {
        beat: () =>
          this.client.presence(this.running?.instances.locals().length ?? 0, this.world?.revision ?? 0),
        rejoin: () => this.rejoin(),
      },
      config.heartbeatMs,
      logger,
    );
  }

  /**
   * Registers and starts following; resolves once serving. With the control plane unreachable, a cell
   * that ran before starts from what it last knew.
   */
  async start(): Promise<void> {
    const firstWorld = new Promise<void>((resolve) => (this.ready = resolve));
    try {
      this.cell = await this.client.register(this.config.hostIp);
      this.caPem = await this.client.caCertificate();
    } catch (err) {
      const saved = await this.files.readWorld();
      if (!saved) throw err;
      this.logger.warn({ err: String(err) }, 'control plane unreachable; starting from the last known state');
      this.cell = saved.cell;
      this.caPem = saved.caPem;
      this.world = new World(saved.snapshot);
      this.bringUp();
    }
    this.presence.start();
    void this.follower.run();
    await firstWorld;
    // HAProxy loads while the first app is pushed, rather than in the first start (see TlsProxy.warm) or
    // in the cell's own start, whose CPU it would take.
    this.proxy.warm();
    // Once the instances it found are taken care of: layers and namespaces ahead are for the starts to come.
    void this.config.containers.host.layers
      ?.open()
      .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'no writable layers mounted ahead'));
    void this.netnsPool
      .open()
      .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'no network namespaces made ahead'));
  }

  /** Adds the cell's metrics to a Prometheus registry (the control plane's, or the cell's own). */
  registerMetrics(registry: Registry): void {
    registerCellMetrics(registry, {
      proxy: this.proxy,
      dns: () => this.running?.host.dns ?? null,
      connected: () => this.connected,
      revision: () => this.world?.revision ?? 0,
      reconciles: this.counts,
    });
    registerKernelMetrics(registry, {
      held: () => this.enforcer.held(),
      kernelApply: this.kernelApply,
      flows: () => this.flowLog?.counts ?? null,
    });
    registry.registerMetric(this.startSteps);
  }

  /** Without cleanup, apps keep running and the kernel keeps enforcing; the next cell adopts them. */
  async stop(requested: { cleanup: boolean }): Promise<void> {
    const opts = { cleanup: requested.cleanup || this.leaseGone };
    this.logger.info({ cleanup: opts.cleanup }, 'stopping the cell');
    this.follower.stop();
    this.presence.stop();
    const running = this.running;
    running?.converger.stop();
    // Each step runs whatever the one before did: a failed step must not leave the rest behind.
    const steps: [string, () => Promise<void> | undefined][] = [
      ['releasing the instances', () => running?.instances.release(opts.cleanup)],
      ['removing the writable layers mounted ahead', () => this.config.containers.host.layers?.close()],
      ['removing the network namespaces made ahead', () => this.netnsPool.close()],
      ['closing the CNI socket', () => running?.cni.close()],
      ['closing the proxy', () => this.proxy.close()],
      ['stopping DNS', () => running?.host.dns.stop()],
      ['stopping the flow log', () => this.flowLog?.stop()],
    ];
    if (opts.cleanup && running) {
      steps.push(['removing the nft table', () => this.enforcer.remove()]);
      steps.push(['removing a probe’s trace table', () => this.prober.removeLeftover()]);
      steps.push(['removing the links', () => tearDownHost(running.cell, running.host, this.links)]);
      steps.push(['removing the package cache', () => this.packages.removeAll()]);
      steps.push(["removing the containers' cgroup parent", () => removeContainersCgroupParent()]);
    }
    for (const [what, step] of steps) {
      await Promise.resolve()
        .then(step)
        .catch((err: unknown) => this.logger.error({ err: String(err) }, `${what} failed`));
    }
  }

  /**
   * Registers again after being declared lost. With its lease still held the cell carries on: the stream
   * moves its instances away and the reconciler stops them. A released lease means a new subnet, which
   * this process cannot rebuild around: it cleans up and exits for its supervisor to start it afresh.
   */
  private async rejoin(): Promise<void> {
    const cell = await this.client.register(this.config.hostIp);
    const held = this.cell?.subnet;
    if (held === undefined || cell.subnet === held) {
      this.logger.warn({ subnet: cell.subnet }, 'registered again with the same lease');
      return;
    }
    this.leaseGone = true;
    this.fatal(
      new Error(`declared lost, this cell's lease ${held} was released (it now holds ${cell.subnet})`),
      'cleaning up and exiting, to be started afresh on the new lease',
    );
  }

  private requireWorld(): World {
    if (!this.world) throw new Error('no state from the control plane yet');
    return this.world;
  }

  private onMessage(m: FollowedMessage): void {
    if (m.type === 'heartbeat') return;
    if (m.type === 'question') {
      void this.answer(m.id, m.question);
      return;
    }
    if (m.type === 'session') {
      void this.sessions.open(m.id, m.secret, m.request);
      return;
    }
    if (m.type === 'snapshot') {
      this.world = new World(m.snapshot);
      // A snapshot replaces the whole world: every reconciler runs, whatever the snapshot changed.
      if (this.running) void this.running.converger.everything();
      else this.bringUp();
      return;
    }
    if (this.world?.apply(m.change)) void this.running?.converger.changed(m.change.kind);
  }

  /** Reads the live kernel table (never the plan) and what the proxy serves, and answers the control plane. */
  private async answer(id: string, question: CellQuestion): Promise<void> {
    let answer: CellAnswer;
    try {
      const live = await this.enforcer.listElements();
      const instances = this.running?.instances;
      answer = answerQuestion(live, question, (guid) => instances?.servedNames(guid) ?? null);
      if (question.probe !== undefined) answer.probe = await this.probe(question.probe);
    } catch (err) {
      answer = { flows: [], certificates: [], error: String(err).slice(0, 1000) };
    }
    await this.client
      .answer(id, answer)
      .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'could not answer the control plane'));
  }

  private async probe(req: ProbeRequest): Promise<ProbeResult> {
    const local = this.running?.instances.find(req.instanceGuid);
    if (local === undefined) {
      return {
        outcome: 'error',
        detail: `instance ${req.instanceGuid} does not run on this cell`,
        trace: [],
      };
    }
    const source = {
      ip: local.ip,
      netnsPath: local.outside?.netnsPath ?? namedNetnsPath(local.netns),
      credentialsDir: this.files.paths.credentialsDir(local.guid),
    };
    return this.prober.probe(source, req);
  }

  /** The packages of the apps this cell runs instances of: what the package cache keeps. */
  private packagesInUse(): Set<string> {
    const world = this.world;
    const inUse = new Set<string>();
    if (!world || !this.cell) return inUse;
    for (const instance of world.tables.instance.values()) {
      if (instance.cellId !== this.cell.id) continue;
      const digest = world.tables.app.get(instance.appGuid)?.packageDigest;
      if (digest) inUse.add(digest);
    }
    return inUse;
  }

  /** Once, on the first world: the host side is built, what an earlier process left is taken back, then all converges. */
  private bringUp(): void {
    if (this.settingUp) return;
    this.settingUp = this.setUp().catch((err: unknown) => this.fatal(err));
  }

  private async setUp(): Promise<void> {
    const cell = this.cell;
    if (!cell) throw new Error('the cell is not registered');
    const world = this.requireWorld();
    const paths = this.files.paths;
    const host = await setUpHost({
      cell,
      overlayCidr: world.overlayCidr,
      hostIp: this.config.hostIp,
      table: this.config.table,
      links: this.links,
      paths,
      caPem: this.caPem,
      logger: this.logger,
    });
    const { dns } = host;
    const identity = { ...host.identity, flowLog: await this.startFlowLog(host.identity) };
    this.proxy.listenOn(proxyListeners(cell.subnet, identity.gatewayIp));
    let converger: Converger<ReconcilerName> | null = null;
    const applyKernel = () => converger?.kick('kernel') ?? Promise.resolve();
    const instances = new InstanceSet(
      {
        api: this.client,
        proxy: this.proxy,
        files: this.files,
        logger: this.logger,
        gatewayIp: identity.gatewayIp,
        cniSocket: this.config.cniSocket,
        caPem: () => this.caPem,
        world: () => this.requireWorld(),
        policies: new PolicyIndex(() => this.requireWorld()),
        applyKernel,
        packages: this.packages,
        containers: this.config.containers.host,
        netnsPool: this.netnsPool,
        stack: stackLabel(this.config.containers.stack),
        userns: this.config.containers.userns.enabled,
        startSteps: this.startSteps,
      },
      this.logger,
      () => void converger?.kick('instances'),
    );
    const reconcilers = cellReconcilers({
      identity,
      allocator: { subnet: cell.subnet, gatewayIp: identity.gatewayIp, links: this.links },
      world: () => this.requireWorld(),
      kernel: this.enforcer,
      overlay: { sync: (remotes) => syncRemoteCells(this.links.vxlan, remotes) },
      dns,
      instances,
      saveWorld: (w) => this.files.saveWorld({ cell, caPem: this.caPem, snapshot: w.toSnapshot() }),
      applyKernel,
    });
    converger = new Converger(reconcilers, FOLLOWS, {
      onError: (name, err) => {
        this.counts.error(name);
        this.logger.error({ err: String(err), reconciler: name }, 'reconcile failed; the resync retries it');
      },
      onRepaired: (name, count) => {
        this.counts.repaired(name, count);
        this.logger.warn({ reconciler: name, repaired: count }, 'resync repaired drift');
      },
    });
    const cni = new CniServer(
      this.config.cniSocket,
      cellCniHandler({
        gatewayIp: identity.gatewayIp,
        links: this.links,
        ownInstance: (guid) => instances.find(guid),
        isReady: () => this.running !== null,
        outside: {
          gatewayIp: identity.gatewayIp,
          joinExternal: (appGuid) => this.client.joinExternal(appGuid),
          leave: (guid) => instances.leave(guid),
          kick: () => void converger?.kick('instances'),
          instances,
        },
      }),
      this.logger.child({ component: 'cni' }),
    );
    await cni.listen();
    const cellId = this.config.cellId;
    await instances.adoptOrSweep((guid) => {
      const i = this.requireWorld().tables.instance.get(guid);
      return i !== undefined && isPlacedHere(i, cellId, this.requireWorld());
    });
    // From here on changes reach the reconcilers; until now the final run below covers them.
    this.running = { cell, host, instances, converger, cni };
    await converger.everything();
    converger.startResync(this.config.resyncMs);
    this.logger.info({ subnet: cell.subnet, gatewayIp: identity.gatewayIp }, 'cell network ready');
    this.ready?.();
    this.ready = null;
  }

  /**
   * Starts the denied-flow log when ulogd2 is installed; the kernel then logs to the cell's own NFLOG group,
   * derived from its table name so that cells sharing a host (tests, benchmarks) never share one.
   */
  private async startFlowLog(at: CellIdentity): Promise<CellIdentity['flowLog']> {
    const pluginDir = findUlogdPlugins();
    if (pluginDir === null) {
      this.logger.warn('ulogd2 (with ulogd2-json) is not installed: denied flows are not logged');
      return undefined;
    }
    const group = nflogGroup(this.config.table);
    const dir = path.join(this.config.root, 'flows');
    const connections =
      this.config.flowLog === 'all'
        ? { connections: { overlayCidr: at.overlayCidr, gatewayIp: at.gatewayIp } }
        : {};
    this.flowLog = new FlowLog({ group, dir, pluginDir, ...connections }, this.client, this.logger);
    await this.flowLog.start();
    return { group, perSourcePerSecond: DENIED_FLOWS_PER_SOURCE_PER_SECOND };
  }

  /** A cell that failed to come up (or lost its lease) must not look as if it serves: stop, and say why. */
  private fatal(err: unknown, what = 'the cell cannot start'): void {
    this.logger.fatal({ err: String(err) }, what);
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  }
}
