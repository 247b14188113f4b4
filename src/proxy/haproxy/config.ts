// The HAProxy configuration of a cell's proxy, rendered from what the proxy holds now. Pure: a restarted
// HAProxy reads the same state the runtime API would have fed it, so nothing is replayed command by command.
import type { ProxyLimits } from '../limits.js';
import type { TlsSettings } from '../tls-settings.js';
import { ERROR_LOG_FORMAT, LOG_FORMAT } from './log-reader.js';

/** Ports that share one TLS listener and so one certificate: 61443 alone, or an instance's app ports. */
export interface ListenerGroup {
  host: string;
  /** Consecutive ports, lowest first. */
  ports: number[];
}

export interface Backend {
  host: string;
  port: number;
}

export interface ConfigInputs {
  groups: ListenerGroup[];
  /** The backend of each listened port now in use, by group index and port. */
  backends: ReadonlyMap<string, Backend>;
  files: ProxyFiles;
  settings: TlsSettings;
  limits: ProxyLimits;
  /** The UDP port on 127.0.0.1 the proxy's log lines go to. */
  logPort: number;
}

/** Where the proxy's files live; every path is inside one private directory. */
export interface ProxyFiles {
  socket: string;
  clientCa: string;
  /** Group name → 1 while its callers must present an admitted instance identity. */
  mtlsMap: string;
  certificate(group: number): string;
  /** The group's crt-list: its certificate as the default entry, plus the open entry while mutual TLS is off. */
  crtList(group: number): string;
  callers(group: number): string;
}

export function groupName(group: number): string {
  return `g${group}`;
}

export function backendName(group: number, port: number): string {
  return `b${group}_${port}`;
}

export function backendKey(group: number, port: number): string {
  return `${group}/${port}`;
}

// A name no client asks for: the default entry of a crt-list then matches only clients whose SNI matches no
// other entry, or who send none (callers by address), and it asks them for a certificate.
const NO_SNI_MATCH = 'default.weft.invalid';

/**
 * The SSL options of the entry that serves a listener's own names while its instance has mutual TLS off: no
 * CertificateRequest, a few percent of a full handshake's CPU (docs/architecture.md).
 */
export const OPEN_ENTRY_OPTIONS = '[verify none]';

/** The line `add ssl crt-list` takes for the open entry: no filter, so the certificate's own names select it. */
export function openEntry(certificate: string): string {
  return `${certificate} ${OPEN_ENTRY_OPTIONS}`;
}

/** A group's crt-list file as HAProxy reads it when it starts. */
export function renderCrtList(certificate: string, open: boolean): string {
  const lines = [`${certificate} ${NO_SNI_MATCH}`];
  if (open) lines.push(openEntry(certificate));
  return `${lines.join('\n')}\n`;
}

/** The line numbers of the open entries in `show ssl crt-list -n`: one, or none. */
export function openEntryLines(shown: string, certificate: string): number[] {
  return shown
    .split('\n')
    .filter((line) => line.startsWith(`${certificate}:`) && line.includes(OPEN_ENTRY_OPTIONS))
    .map((line) => Number(/^:(\d+)/.exec(line.slice(certificate.length))?.[1]));
}

/** Placeholder address of a backend no instance uses: it is also held in maintenance, so nothing connects. */
export const UNUSED_BACKEND: Backend = { host: '127.0.0.1', port: 1 };

// With mutual TLS on, a caller without a certificate, one that does not chain to the client CA, or one of an
// app no policy admits, is refused.
const REFUSED = 'mtls !certified || mtls unverified || mtls !admitted_app';

export function renderConfig(inputs: ConfigInputs): string {
  const { settings, limits, files } = inputs;
  const tls12 = settings.ciphers.split(':').filter((c) => !c.startsWith('TLS_'));
  const tls13 = settings.ciphers.split(':').filter((c) => c.startsWith('TLS_'));
  const lines = [
    'global',
    `  stats socket ${files.socket} mode 600 level admin`,
    `  maxconn ${limits.maxConnections + 1}`,
    // One thread: the cell's apps need the other cores, and one carries more than a cell's apps ask
    // (docs/benchmarks.md); the stick tables that bound each source are then never contended.
    '  nbthread 1',
    `  log 127.0.0.1:${inputs.logPort} len 1024 local0 info`,
    `  ssl-default-bind-ciphers ${tls12.join(':')}`,
    `  ssl-default-bind-ciphersuites ${tls13.join(':')}`,
    `  ssl-default-bind-options ssl-min-ver ${settings.minVersion} ssl-max-ver ${settings.maxVersion}`,
    `  ssl-default-bind-curves ${settings.ecdhCurve}`,
    // Sessions resume from tickets alone, TLS 1.2 and 1.3. HAProxy's session cache serves only TLS 1.2
    // clients that resume by session ID, yet copies every ticket's session into it: about 1% of each
    // handshake's CPU and 5 MiB of memory.
    '  tune.ssl.cachesize 0',
    'defaults',
    '  mode tcp',
    '  log global',
    // Only connections that did not end normally are logged: refusals and timeouts are what weft counts.
    '  option dontlog-normal',
    `  log-format "${LOG_FORMAT}"`,
    // Connections that never became a stream (failed or timed-out handshakes) log this instead.
    `  error-log-format "${ERROR_LOG_FORMAT}"`,
    '  timeout connect 5s',
    // A refused connect closes the caller's connection at once, as a direct connect to the app would be
    // refused. HAProxy would retry it only after a second's pause, so a caller that comes just before the
    // app listens (a start, a restart) would wait that second.
    '  retries 0',
    // The client timeout bounds the handshake; once both sides are joined the tunnel timeout takes over.
    `  timeout client ${settings.handshakeTimeoutMs}`,
    `  timeout server ${limits.idleTimeoutMs}`,
    `  timeout tunnel ${limits.idleTimeoutMs}`,
    'backend per_source',
    '  stick-table type ip size 100k store conn_cur',
    // One row (key 1) for the proxy as a whole: open connections, and refusals per source, global, mTLS.
    'backend totals',
    '  stick-table type integer size 1 store conn_cur,gpc(3)',
  ];
  inputs.groups.forEach((group, g) => lines.push(...renderGroup(inputs, group, g)));
  return `${lines.join('\n')}\n`;
}

function renderGroup(inputs: ConfigInputs, group: ListenerGroup, g: number): string[] {
  const { files, limits } = inputs;
  const first = group.ports[0];
  const last = group.ports[group.ports.length - 1];
  if (first === undefined || last === undefined) throw new Error(`listener group ${g} has no port`);
  const ports = first === last ? `${first}` : `${first}-${last}`;
  const callers = files.callers(g);
  // Occurrence 3 of OU is app:GUID in an instance identity (organization, space, app), as weft's CA writes it.
  const lines = [
    `frontend ${groupName(g)}`,
    // Verification is decided per connection below: a listener's client CA cannot change without a reload.
    // The crt-list's open entry (verify none) serves the instance's names while its mutual TLS is off.
    `  bind ${group.host}:${ports} ssl crt-list ${files.crtList(g)} ca-file ${files.clientCa} verify optional ca-ignore-err all crt-ignore-err all`,
    '  tcp-request connection track-sc0 src table per_source',
    '  tcp-request connection track-sc1 int(1) table totals',
    `  tcp-request connection sc-inc-gpc(0,1) if { sc0_conn_cur gt ${limits.maxConnectionsPerSource} }`,
    `  tcp-request connection reject if { sc0_conn_cur gt ${limits.maxConnectionsPerSource} }`,
    `  tcp-request connection sc-inc-gpc(1,1) if { sc1_conn_cur gt ${limits.maxConnections} }`,
    `  tcp-request connection reject if { sc1_conn_cur gt ${limits.maxConnections} }`,
    `  acl mtls fe_name,map(${files.mtlsMap},0) -m int 1`,
    '  acl certified ssl_c_used',
    '  acl unverified ssl_c_verify gt 0',
    `  acl admitted_app ssl_c_s_dn(OU,3) -m str -f ${callers}`,
    `  tcp-request content set-var(sess.refusal) str(mtls) if ${REFUSED}`,
    `  tcp-request content sc-inc-gpc(2,1) if ${REFUSED}`,
    `  tcp-request content reject if ${REFUSED}`,
  ];
  if (group.ports.length === 1) lines.push(`  default_backend ${backendName(g, first)}`);
  else lines.push(`  use_backend b${g}_%[dst_port]`);
  for (const port of group.ports) {
    const backend = inputs.backends.get(backendKey(g, port));
    const target = backend ?? UNUSED_BACKEND;
    lines.push(
      `backend ${backendName(g, port)}`,
      `  server app ${target.host}:${target.port}${backend ? '' : ' disabled'}`,
    );
  }
  return lines;
}
