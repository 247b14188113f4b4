// The instances this cell runs, by GUID. Starting, stopping, adopting and retrying a failed start happen
// here; which instances should run is decided in plan.ts, and when, by the instances reconciler.
import type { Logger } from 'pino';
import type { HostSideState } from '../network/container-network.js';
import {
  adoptContainer,
  deleteContainer,
  listContainers,
  STOP_GRACE_MS,
  type Container,
} from '../runtime/container.js';
import type { InstanceFile } from './files.js';
import { LocalInstanceRunner, type InstanceHost } from './instance.js';
import { detachInstance } from './instance-network.js';
import type { LocalInstance, OutsideContainer } from './local.js';

interface WaitingAdd {
  container: OutsideContainer;
  started: () => void;
  failed: (err: unknown) => void;
}

const START_RETRY_MS = 2_000;

export class InstanceSet {
  private readonly runners = new Map<string, LocalInstanceRunner>();
  /** Stops under way: a runner leaves `runners` as its stop begins, and the cell's own stop waits for them. */
  private readonly stopping = new Set<Promise<void>>();
  /** Outside containers whose CNI ADD waits until the planner has started their instance. */
  private readonly waiting = new Map<string, WaitingAdd>();

  constructor(
    private readonly host: InstanceHost,
    private readonly logger: Logger,
    /** Asks for another pass of the instances reconciler, after a failed start. */
    private readonly retry: () => void,
  ) {}

  /** The instance with this GUID, from the moment its start begins. */
  find(guid: string): LocalInstance | undefined {
    return this.runners.get(guid)?.local;
  }

  locals(): LocalInstance[] {
    return [...this.runners.values()].map((r) => r.local);
  }

  /** The instance an outside runtime's container with this id joined, if it runs here. */
  findOutside(containerId: string, ifname: string): LocalInstance | undefined {
    return this.locals().find((l) => l.outside?.containerId === containerId && l.outside.ifname === ifname);
  }

  /** Whether an outside container with this id is joining or has joined already. */
  hasOutside(containerId: string, ifname: string): boolean {
    const joining = [...this.waiting.values()].some(
      (w) => w.container.containerId === containerId && w.container.ifname === ifname,
    );
    return joining || this.findOutside(containerId, ifname) !== undefined;
  }

  outsideWaiting(): ReadonlyMap<string, OutsideContainer> {
    return new Map([...this.waiting].map(([guid, w]) => [guid, w.container]));
  }

  /** Resolves once the planner has started the instance `guid` for the outside container, ready. */
  expectOutside(guid: string, container: OutsideContainer): Promise<void> {
    return new Promise((started, failed) => this.waiting.set(guid, { container, started, failed }));
  }

  /** The ADD gave up: its instance is no longer waited for, and goes if it started meanwhile. */
  async abandonOutside(guid: string): Promise<void> {
    this.waiting.delete(guid);
    await this.stop(guid);
  }

  async leave(guid: string): Promise<void> {
    await this.host.api.leaveExternal(guid).catch((err: unknown) => {
      this.logger.warn({ err: String(err), instance: guid }, 'could not remove an outside instance');
    });
  }

  /** Starts `local`, or takes over `adopted`; a failed start is undone and tried again later. */
  async start(local: LocalInstance, adopted: Container | null = null): Promise<void> {
    const runner = new LocalInstanceRunner(local, this.host);
    this.runners.set(local.guid, runner);
    if (local.outside) return this.startOutside(runner);
    try {
      await runner.start(adopted);
    } catch (err) {
      this.logger.error({ err: String(err), instance: local.guid }, 'instance start failed; retrying');
      this.runners.delete(local.guid);
      await this.stopRunner(runner).catch(() => undefined);
      setTimeout(this.retry, START_RETRY_MS).unref();
    }
  }

  /** An outside container's ADD learns how its start went; it is not tried again (the runtime may retry). */
  private async startOutside(runner: LocalInstanceRunner): Promise<void> {
    const guid = runner.local.guid;
    const add = this.waiting.get(guid);
    this.waiting.delete(guid);
    try {
      await runner.start();
      await runner.announceOutside();
      add?.started();
    } catch (err) {
      this.logger.error({ err: String(err), instance: guid }, 'outside container could not join');
      this.runners.delete(guid);
      await this.stopRunner(runner).catch(() => undefined);
      add?.failed(err);
    }
  }

  async stop(guid: string): Promise<void> {
    const runner = this.runners.get(guid);
    if (runner === undefined) return;
    this.runners.delete(guid);
    this.logger.info({ instance: guid }, 'stopping instance');
    await this.stopRunner(runner);
  }

  private async stopRunner(runner: LocalInstanceRunner): Promise<void> {
    const stopped = runner.stop();
    const tracked = stopped.catch(() => undefined);
    this.stopping.add(tracked);
    try {
      await stopped;
    } finally {
      this.stopping.delete(tracked);
    }
  }

  /** Re-certifies and re-applies mutual TLS where the world changed what an instance should serve. */
  async refreshAll(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.refresh()));
  }

  /** The names the instance's 61443 certificate carries as served now; null before it serves. */
  servedNames(guid: string): string[] | null {
    return this.runners.get(guid)?.servedNames() ?? null;
  }

  check(guid: string): Promise<HostSideState> {
    return this.runners.get(guid)?.checkNetwork() ?? Promise.resolve('intact');
  }

  /**
   * Takes back the containers an earlier cell process left running, when the world still wants them
   * here; removes the rest. Until then their traffic is denied, never allowed: the kernel table built
   * from the plan has no entries for them.
   */
  async adoptOrSweep(wantedHere: (guid: string) => boolean): Promise<void> {
    const files = this.host.files;
    for (const guid of await files.instanceGuids()) {
      const state = await files.readInstance(guid);
      const logFile = state ? files.paths.logFile(state.appGuid, state.index) : '';
      const container = state ? await adoptContainer(this.host.containers, guid, logFile) : null;
      if (state && container && wantedHere(guid)) {
        await this.start(localPart(state), container);
        this.logger.info({ instance: guid }, 'adopted a running instance');
        continue;
      }
      await container?.stop(STOP_GRACE_MS);
      if (state) await detachInstance(this.host.cniSocket, state);
      await files.removeInstance(guid);
    }
    // Containers with no instance state (a cell killed between starting one and noting it) are removed.
    const known = new Set(await files.instanceGuids());
    for (const id of await listContainers(this.host.containers.runtime)) {
      if (!known.has(id)) await deleteContainer(this.host.containers, id);
    }
  }

  /** The cell stops: with cleanup every container goes; without, they keep running for the next cell. */
  async release(cleanup: boolean): Promise<void> {
    const runners = [...this.runners.values()];
    this.runners.clear();
    // A stop begun before (the app was stopped or deleted) finishes either way: a half-removed container
    // is neither adoptable nor clean.
    const begun = Promise.all(this.stopping);
    if (!cleanup) {
      for (const r of runners) r.abandon();
      await begun;
      return;
    }
    // One instance that fails to stop must not keep the others, or the cell's own teardown, from running.
    const stops = await Promise.allSettled(runners.map((r) => r.stop()));
    stops.forEach((s, i) => {
      if (s.status === 'rejected') {
        this.logger.error(
          { err: String(s.reason), instance: runners[i]?.local.guid },
          'instance stop failed',
        );
      }
    });
    await begun;
  }
}

function localPart(state: InstanceFile): LocalInstance {
  const { guid, appGuid, index, ip, hostIface, netns, uid, proxyPorts } = state;
  return { guid, appGuid, index, ip, hostIface, netns, uid, proxyPorts };
}
