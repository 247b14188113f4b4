// The cell's TLS proxy: one HAProxy serving every instance's listeners, fed over its runtime API so that
// adding, removing or re-certifying an instance never reloads it. This class holds the truth (which
// instance sits on which listener, with which certificate, backend and mutual-TLS callers); HAProxy holds a
// copy, rendered whole into its configuration when it starts and updated command by command after that.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import pino, { type Logger } from 'pino';
import { createCa } from '../ca/index.js';
import {
  backendKey,
  backendName,
  groupName,
  openEntry,
  openEntryLines,
  renderConfig,
  renderCrtList,
  type Backend,
  type ListenerGroup,
  type ProxyFiles,
} from './haproxy/config.js';
import { HaproxyEngine } from './haproxy/engine.js';
import { proxyDirectory, removeDirectory, writePrivate } from './haproxy/files.js';
import { HANDSHAKE_TIMEOUT, LogReader, type ConnectionEnd, type HandshakeEnd } from './haproxy/log-reader.js';
import { runtimeCommand, withPayload } from './haproxy/runtime-api.js';
import { parseStats, parseTotalsRow, SHOW_STAT, type StatFields } from './haproxy/stats.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from './limits.js';
import { DEFAULT_TLS_SETTINGS, type Credentials, type TlsSettings } from './tls-settings.js';
import {
  zeroCounters,
  type Endpoint,
  type InstanceCounters,
  type InstanceSpec,
  type InstanceStats,
  type MtlsPolicy,
} from './types.js';

export interface TlsProxyOptions extends Partial<TlsSettings>, Partial<ProxyLimits> {
  logger?: Logger;
  /** The listeners HAProxy binds when it starts; instances take them as they come. */
  listeners?: ListenerGroup[];
  /** HAProxy's files go there (emptied first, removed at close); a temporary directory if unset. */
  runDir?: string;
}

export interface ProxyStats {
  instances: InstanceStats[];
  /** Monotonic over the proxy's life, removed instances and HAProxy restarts included. */
  totals: InstanceCounters;
  /** Client connections open now, mid-handshake ones included, across every listener. */
  openConnections: number;
}

interface GroupState {
  users: Set<string>;
  credentials: Credentials | null;
  mtls: MtlsPolicy | null;
}

interface Served {
  group: number;
  port: number;
  backend: Backend;
  /** The backend's counters when the instance took the listener, which earlier instances may have used. */
  baseline: ReadonlyMap<string, number>;
}

const APP_OU_PREFIX = 'app:';

export class TlsProxy {
  private readonly settings: TlsSettings;
  private readonly limits: ProxyLimits;
  private readonly log: Logger;
  private readonly runDir: string | undefined;
  private groups: ListenerGroup[];
  private readonly state: GroupState[] = [];
  private readonly served = new Map<string, Served>();
  private readonly backends = new Map<string, Backend>();
  /** Counted from HAProxy's log lines; its own counters have no such fields. */
  private readonly logged = { idleTimeouts: 0, handshakeTimeouts: 0 };
  /** HAProxy's counters from processes that have exited, so totals stay monotonic across restarts. */
  private readonly carried = zeroCounters();
  private lastSeen = zeroCounters();
  private clientCaPem: string | null = null;
  private placeholder: Credentials | null = null;
  private files: (ProxyFiles & { dir: string; config: string }) | null = null;
  private engine: HaproxyEngine | null = null;
  private logReader: LogReader | null = null;
  private starting: Promise<HaproxyEngine> | null = null;
  /** Changes to HAProxy run one at a time: its certificate transactions cannot overlap. */
  private queue: Promise<unknown> = Promise.resolve();
  private starts = 0;

  constructor(opts: TlsProxyOptions = {}) {
    const { logger, maxConnectionsPerSource, maxConnections, idleTimeoutMs, listeners, runDir, ...settings } =
      opts;
    this.runDir = runDir;
    this.settings = { ...DEFAULT_TLS_SETTINGS, ...settings };
    this.limits = {
      maxConnectionsPerSource: maxConnectionsPerSource ?? DEFAULT_PROXY_LIMITS.maxConnectionsPerSource,
      maxConnections: maxConnections ?? DEFAULT_PROXY_LIMITS.maxConnections,
      idleTimeoutMs: idleTimeoutMs ?? DEFAULT_PROXY_LIMITS.idleTimeoutMs,
    };
    this.log = logger ?? pino({ enabled: false });
    this.groups = [];
    this.listenOn(listeners ?? []);
  }

  /** Sets the listeners before HAProxy first starts: the cell learns its subnet only once registered. */
  listenOn(listeners: ListenerGroup[]): void {
    if (this.starting) throw new Error('the proxy already runs; its listeners are fixed');
    this.groups = listeners;
    this.state.length = 0;
    for (let g = 0; g < listeners.length; g++)
      this.state.push({ users: new Set(), credentials: null, mtls: null });
  }

  /**
   * Starts HAProxy now, in the background, rather than with the first instance: with a listener per slot
   * of a /24 it takes 1-2 s to load, which the first start after the cell came up waited for.
   */
  warm(): void {
    this.ready().catch((err: unknown) => this.log.warn({ err: String(err) }, 'haproxy did not start yet'));
  }

  /** The HAProxy process now serving, for tests that kill it; undefined before it first starts. */
  get enginePid(): number | undefined {
    return this.engine?.pid;
  }

  /** Starts serving an instance; resolves with its listener's address once it accepts connections. */
  addInstance(spec: InstanceSpec): Promise<Endpoint> {
    return this.serial(async () => {
      if (this.served.has(spec.guid)) throw new Error(`instance ${spec.guid} is already proxied`);
      const { group, port } = this.pickListener(spec.listen);
      const notAfter = checkCredentials(spec.credentials);
      const engine = await this.ready();
      const groupState = this.groupState(group);
      groupState.users.add(spec.guid);
      groupState.credentials = spec.credentials;
      if (spec.mtls) groupState.mtls = spec.mtls;
      const backend = { host: spec.backend.host, port: spec.backend.port };
      const name = backendName(group, port);
      const baseline = parseStats(await engine.command(`show stat ${name} 2 -1`)).get(`${name}/BACKEND`);
      this.served.set(spec.guid, { group, port, backend, baseline: baseline ?? new Map() });
      this.backends.set(backendKey(group, port), backend);
      await this.pushCertificate(group);
      await this.pushMtls(group);
      await engine.command(
        `set server ${name}/app addr ${backend.host} port ${backend.port}; set server ${name}/app state ready; enable frontend ${groupName(group)}`,
      );
      this.log.info(
        { instance: spec.guid, listen: { host: this.hostOf(group), port }, backend, notAfter },
        'proxying instance',
      );
      return { host: this.hostOf(group), port };
    });
  }

  /** New handshakes present the new certificate; established connections keep theirs. */
  updateCredentials(guid: string, credentials: Credentials): Promise<void> {
    return this.serial(async () => {
      const served = this.get(guid);
      checkCredentials(credentials);
      this.groupState(served.group).credentials = credentials;
      await this.pushCertificate(served.group);
    });
  }

  setMtls(guid: string, mtls: MtlsPolicy | null): Promise<void> {
    return this.serial(async () => {
      const served = this.get(guid);
      const groupState = this.groupState(served.group);
      // The cell re-applies mutual TLS on every refresh; HAProxy only hears of an actual change.
      if (sameMtls(groupState.mtls, mtls)) return;
      groupState.mtls = mtls;
      await this.pushMtls(served.group);
    });
  }

  /** Stops serving an instance and ends its open connections; its listener refuses connections after. */
  removeInstance(guid: string): Promise<void> {
    return this.serial(async () => {
      const served = this.served.get(guid);
      if (!served) return;
      const engine = await this.ready();
      this.served.delete(guid);
      this.backends.delete(backendKey(served.group, served.port));
      const groupState = this.groupState(served.group);
      groupState.users.delete(guid);
      const name = backendName(served.group, served.port);
      const commands = [`set server ${name}/app state maint`, `shutdown sessions server ${name}/app`];
      if (groupState.users.size === 0) {
        commands.unshift(`disable frontend ${groupName(served.group)}`);
        groupState.credentials = null;
        groupState.mtls = null;
      }
      await engine.command(commands.join('; '));
      if (groupState.users.size === 0) {
        await this.pushMtls(served.group);
        await this.pushCertificate(served.group);
      }
    });
  }

  async stats(): Promise<ProxyStats> {
    const engine = this.engine;
    if (!engine) return { instances: [], totals: { ...this.carried }, openConnections: 0 };
    const [csv, table] = await Promise.all([engine.command(SHOW_STAT), engine.command('show table totals')]);
    const stats = parseStats(csv);
    const row = parseTotalsRow(table);
    const seen = this.countersOf(stats, row);
    this.lastSeen = seen;
    const totals = { ...this.carried };
    addInto(totals, seen);
    // Counted here from the log lines, so not reset by a restart; HAProxy counts timed-out handshakes apart.
    totals.idleTimeouts = this.logged.idleTimeouts;
    totals.handshakeTimeouts = this.logged.handshakeTimeouts;
    totals.handshakeFailures += this.logged.handshakeTimeouts;
    const instances = [...this.served].map(([guid, s]) => this.instanceStats(guid, s, stats));
    return { instances, totals, openConnections: row.openConnections };
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.starting?.catch(() => undefined);
    await this.engine?.stop();
    await this.logReader?.close();
    if (this.files) await removeDirectory(this.files.dir);
    this.served.clear();
    this.backends.clear();
    this.engine = null;
    this.logReader = null;
    this.files = null;
    this.starting = null;
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private ready(): Promise<HaproxyEngine> {
    this.starting ??= this.start();
    return this.starting.then(async (engine) => {
      await engine.ready();
      return engine;
    });
  }

  private async start(): Promise<HaproxyEngine> {
    const files = await proxyDirectory(this.runDir);
    this.files = files;
    const ca = createCa();
    this.placeholder = { certPem: ca.certPem, keyPem: ca.keyPem };
    this.logReader = new LogReader((end) => this.onConnectionEnd(end));
    const logPort = await this.logReader.listen();
    const engine = new HaproxyEngine(
      files.socket,
      {
        render: () => this.render(files, logPort),
        started: () => this.started(),
      },
      this.log,
    );
    this.engine = engine;
    return engine;
  }

  /** Writes the whole state out for a starting HAProxy: configuration, certificates, maps, client CA. */
  private async render(files: ProxyFiles & { config: string }, logPort: number): Promise<string> {
    writePrivate(files.clientCa, this.clientCaPem ?? this.placeholderCredentials().certPem);
    const mtlsLines: string[] = [];
    for (let g = 0; g < this.groups.length; g++) {
      const groupState = this.groupState(g);
      writePrivate(files.certificate(g), pemOf(groupState.credentials ?? this.placeholderCredentials()));
      writePrivate(files.callers(g), callerLines(groupState.mtls));
      writePrivate(files.crtList(g), renderCrtList(files.certificate(g), wantsOpenEntry(groupState)));
      mtlsLines.push(`${groupName(g)} ${groupState.mtls ? 1 : 0}`);
    }
    writePrivate(files.mtlsMap, `${mtlsLines.join('\n')}\n`);
    const config = renderConfig({
      groups: this.groups,
      backends: this.backends,
      files,
      settings: this.settings,
      limits: this.limits,
      logPort,
    });
    await writeFile(files.config, config, { mode: 0o600 });
    return files.config;
  }

  /** A started HAProxy refuses connections on listeners no instance holds, and picks up what changed meanwhile. */
  private async started(): Promise<void> {
    if (this.starts++ > 0) {
      addInto(this.carried, this.lastSeen);
      this.lastSeen = zeroCounters();
      this.log.warn('haproxy restarted and serves the proxy state again');
    }
    const idle = this.state.flatMap((s, g) =>
      s.users.size === 0 ? [`disable frontend ${groupName(g)}`] : [],
    );
    // Straight to the socket: the engine's own commands wait for this hook to finish.
    if (idle.length > 0) await runtimeCommand(this.requireFiles().socket, idle.join('; '));
  }

  private async pushCertificate(group: number): Promise<void> {
    const files = this.requireFiles();
    const engine = await this.ready();
    const pem = pemOf(this.groupState(group).credentials ?? this.placeholderCredentials());
    const file = files.certificate(group);
    // Written first: a HAProxy that restarts from here on reads the file, whatever the API got.
    writePrivate(file, pem);
    await engine.command(withPayload(`set ssl cert ${file}`, pem));
    await engine.command(`commit ssl cert ${file}`);
  }

  private async pushMtls(group: number): Promise<void> {
    const files = this.requireFiles();
    const engine = await this.ready();
    const mtls = this.groupState(group).mtls;
    const callersFile = files.callers(group);
    writePrivate(callersFile, callerLines(mtls));
    if (mtls && mtls.caPem !== this.clientCaPem) {
      this.clientCaPem = mtls.caPem;
      writePrivate(files.clientCa, mtls.caPem);
      await engine.command(withPayload(`set ssl ca-file ${files.clientCa}`, mtls.caPem));
      await engine.command(`commit ssl ca-file ${files.clientCa}`);
    }
    const name = groupName(group);
    const open = wantsOpenEntry(this.groupState(group));
    // Callers by name are asked for a certificate before the rules below require one, and not asked once
    // the rules no longer do: no window in which a caller is refused for want of being asked.
    if (!open) await this.setOpenEntry(group, false);
    if (!mtls) await engine.command(`set map ${files.mtlsMap} ${name} 0`);
    const version = /(\d+)/.exec(await engine.command(`prepare acl ${callersFile}`))?.[1];
    if (version === undefined) throw new Error(`haproxy gave no version for ${callersFile}`);
    const adds = [...(mtls?.callers ?? [])].map(
      (app) => `add acl @${version} ${callersFile} ${APP_OU_PREFIX}${app}`,
    );
    await engine.command([...adds, `commit acl @${version} ${callersFile}`].join('; '));
    if (mtls) await engine.command(`set map ${files.mtlsMap} ${name} 1`);
    if (open) await this.setOpenEntry(group, true);
  }

  /** Brings the group's open entry to `open`, reading what HAProxy holds rather than trusting a copy of it. */
  private async setOpenEntry(group: number, open: boolean): Promise<void> {
    const files = this.requireFiles();
    const engine = await this.ready();
    const list = files.crtList(group);
    const certificate = files.certificate(group);
    writePrivate(list, renderCrtList(certificate, open));
    const lines = openEntryLines(await engine.command(`show ssl crt-list -n ${list}`), certificate);
    if (open && lines.length === 0) {
      await engine.command(withPayload(`add ssl crt-list ${list}`, openEntry(certificate)));
    }
    if (!open) {
      for (const line of lines) await engine.command(`del ssl crt-list ${list} ${certificate}:${line}`);
    }
  }

  private onConnectionEnd(end: ConnectionEnd | HandshakeEnd): void {
    if (end.kind === 'handshake') {
      if (end.error === HANDSHAKE_TIMEOUT) this.logged.handshakeTimeouts++;
      this.log.debug({ listener: end.frontend, error: end.error }, 'TLS handshake failed');
      return;
    }
    if (end.refusal === 'mtls') {
      const callerApp = end.callerOu?.startsWith(APP_OU_PREFIX)
        ? end.callerOu.slice(APP_OU_PREFIX.length)
        : null;
      if (!end.verified || callerApp === null) {
        this.log.warn(
          { listener: end.frontend, callerApp },
          'mTLS caller refused: no valid instance identity',
        );
      } else {
        this.log.warn({ listener: end.frontend, callerApp }, 'mTLS caller refused: app not authorized');
      }
      return;
    }
    // HAProxy's termination state: c or s, a client- or server-side timeout; D, during the data phase.
    if (end.termination === 'cD' || end.termination === 'sD') this.logged.idleTimeouts++;
  }

  private countersOf(stats: StatFields, row: ReturnType<typeof parseTotalsRow>): InstanceCounters {
    const counters = zeroCounters();
    for (const [name, fields] of stats) {
      const field = (f: string): number => fields.get(f) ?? 0;
      if (name.endsWith('/FRONTEND') && /^g\d+\//.test(name)) {
        counters.connectionsAccepted += field('conn_tot') - field('dcon');
        counters.handshakeFailures += field('ssl_failed_handshake');
      } else if (name.endsWith('/BACKEND') && /^b\d+_\d+\//.test(name)) {
        counters.connectionsProxied += field('stot');
        counters.backendFailures += field('econ');
        counters.bytesToBackend += field('bin');
        counters.bytesFromBackend += field('bout');
      }
    }
    counters.refusedPerSource = row.refusedPerSource;
    counters.refusedGlobal = row.refusedGlobal;
    counters.mtlsRefusals = row.mtlsRefusals;
    return counters;
  }

  private instanceStats(guid: string, served: Served, stats: StatFields): InstanceStats {
    const name = backendName(served.group, served.port);
    const fields = stats.get(`${name}/BACKEND`) ?? new Map<string, number>();
    const since = (f: string): number => Math.max(0, (fields.get(f) ?? 0) - (served.baseline.get(f) ?? 0));
    const groupState = this.groupState(served.group);
    const credentials = groupState.credentials ?? this.placeholderCredentials();
    return {
      guid,
      listen: { host: this.hostOf(served.group), port: served.port },
      activeConnections: fields.get('scur') ?? 0,
      connectionsProxied: since('stot'),
      backendFailures: since('econ'),
      bytesToBackend: since('bin'),
      bytesFromBackend: since('bout'),
      mtls: groupState.mtls !== null,
      certNotAfterMs: Date.parse(new X509Certificate(credentials.certPem).validTo),
    };
  }

  private pickListener(listen: Endpoint): { group: number; port: number } {
    if (listen.port === 0) {
      const g = this.groups.findIndex(
        (group, i) =>
          group.host === listen.host && group.ports.length === 1 && this.groupState(i).users.size === 0,
      );
      const port = this.groups[g]?.ports[0];
      if (port === undefined) throw addressError('EADDRNOTAVAIL', `no free listener on ${listen.host}`);
      return { group: g, port };
    }
    const g = this.groups.findIndex(
      (group) => group.host === listen.host && group.ports.includes(listen.port),
    );
    if (g < 0)
      throw addressError('EADDRNOTAVAIL', `${listen.host}:${listen.port} is not a listener of this proxy`);
    if (this.backends.has(backendKey(g, listen.port))) {
      throw addressError('EADDRINUSE', `${listen.host}:${listen.port} already serves an instance`);
    }
    return { group: g, port: listen.port };
  }

  private get(guid: string): Served {
    const served = this.served.get(guid);
    if (!served) throw new Error(`instance ${guid} is not proxied`);
    return served;
  }

  private groupState(group: number): GroupState {
    const s = this.state[group];
    if (!s) throw new Error(`no listener group ${group}`);
    return s;
  }

  private hostOf(group: number): string {
    return this.groups[group]?.host ?? '';
  }

  private requireFiles(): ProxyFiles {
    if (!this.files) throw new Error('the proxy is not running');
    return this.files;
  }

  private placeholderCredentials(): Credentials {
    if (!this.placeholder) throw new Error('the proxy is not running');
    return this.placeholder;
  }
}

/** Throws unless the key is the certificate's; returns when the certificate expires. */
function checkCredentials(credentials: Credentials): number {
  const cert = new X509Certificate(credentials.certPem);
  if (!cert.checkPrivateKey(createPrivateKey(credentials.keyPem))) {
    throw new Error('the private key does not match the certificate');
  }
  return Date.parse(cert.validTo);
}

/** A listener in use whose instance has mutual TLS off serves its names without asking for a certificate. */
function wantsOpenEntry(groupState: GroupState): boolean {
  return groupState.users.size > 0 && groupState.mtls === null;
}

function sameMtls(a: MtlsPolicy | null, b: MtlsPolicy | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.caPem === b.caPem && a.callers.size === b.callers.size && [...a.callers].every((c) => b.callers.has(c))
  );
}

function pemOf(credentials: Credentials): string {
  return `${credentials.certPem.trim()}\n${credentials.keyPem.trim()}\n`;
}

function callerLines(mtls: MtlsPolicy | null): string {
  return [...(mtls?.callers ?? [])].map((app) => `${APP_OU_PREFIX}${app}\n`).join('');
}

function addressError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function addInto(sum: InstanceCounters, add: InstanceCounters): void {
  for (const key of Object.keys(sum) as (keyof InstanceCounters)[]) sum[key] += add[key];
}
