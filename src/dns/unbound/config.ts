// The configuration of a cell's unbound, rendered from what the cell holds now. Pure: a restarted unbound
// reads the whole zone from it, so nothing is replayed command by command after a restart.
import { nthAddress, parseCidr, type Cidr } from '../../network/cidr.js';
import type { Upstream } from '../upstream.js';
import type { Zone } from '../zone.js';
import { zoneEntries } from './zone-lines.js';

export interface DnsLimits {
  /** Queries per second each source address may send; unbound drops the rest unanswered. 0 turns it off. */
  queriesPerSecond: number;
  /** TCP connections unbound holds at once, and per source address. */
  tcpConnections: number;
  tcpConnectionsPerSource: number;
  tcpIdleTimeoutMs: number;
}

/**
 * A container's resolver asks a handful of names per connection it opens; 200 a second is far above that.
 * unbound has no burst: it counts each source's queries per second and drops what is over the rate, so
 * the 200/s with bursts of 400 the Node server allowed became 200 in any one second (docs/architecture.md).
 */
export const DEFAULT_DNS_LIMITS: DnsLimits = {
  queriesPerSecond: 200,
  tcpConnections: 256,
  tcpConnectionsPerSource: 16,
  tcpIdleTimeoutMs: 10_000,
};

export interface UnboundInputs {
  /** Addresses unbound listens on (port `port`): the cell's gateway. */
  listen: string[];
  port: number;
  /** Networks whose hosts may ask (CIDRs); everything else is refused. */
  clients: string[];
  upstream: Upstream[];
  zone: Zone;
  limits: DnsLimits;
  /** The directory of the control socket; unbound's working directory. */
  dir: string;
  controlSocket: string;
}

/** Per-source TCP limits are one netblock line each: past this many client addresses only the total holds. */
const MAX_PER_SOURCE_LINES = 1024;

export function renderUnboundConfig(inputs: UnboundInputs): string {
  const { limits } = inputs;
  const { zones, datas } = zoneEntries(inputs.zone);
  const lines = [
    'server:',
    ...inputs.listen.map((address) => `  interface: ${address}`),
    `  port: ${inputs.port}`,
    // The gateway may be re-made under a running unbound; its sockets stay bound.
    '  ip-freebind: yes',
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 0',
    '  pidfile: ""',
    '  chroot: ""',
    `  directory: "${inputs.dir}"`,
    // unbound is started as its user (files.ts): it changes no user itself.
    '  username: ""',
    // One thread: the cell's apps need the other cores, and one answers more than a cell asks
    // (docs/benchmarks.md). Its event loop also runs the control commands, so a change is whole for
    // the next query.
    '  num-threads: 1',
    '  so-rcvbuf: 4m',
    // The host's resolver validates; this one only forwards and serves the internal zone.
    '  module-config: "iterator"',
    '  do-not-query-localhost: no',
    // An upstream silent this long is given up on: the client gets SERVFAIL within its own retries
    // instead of unbound backing off for two minutes.
    '  infra-cache-max-rtt: 2000',
    '  hide-identity: yes',
    '  hide-version: yes',
    '  minimal-responses: yes',
    '  msg-cache-size: 4m',
    '  rrset-cache-size: 8m',
    '  extended-statistics: yes',
    '  statistics-cumulative: yes',
    `  incoming-num-tcp: ${limits.tcpConnections}`,
    `  tcp-idle-timeout: ${limits.tcpIdleTimeoutMs}`,
    ...accessControl(inputs.clients),
    ...perSourceTcp(inputs.clients, limits.tcpConnectionsPerSource),
  ];
  if (limits.queriesPerSecond > 0) {
    // Factor 0: every query over the rate is dropped, none let through to spare a resolver that retries.
    lines.push(`  ip-ratelimit: ${limits.queriesPerSecond}`, '  ip-ratelimit-factor: 0');
  }
  lines.push(
    ...zones.map((zone) => `  local-zone: ${quoteZone(zone)}`),
    ...datas.map((data) => `  local-data: "${data}"`),
    'remote-control:',
    '  control-enable: yes',
    `  control-interface: ${inputs.controlSocket}`,
    '  control-use-cert: no',
  );
  if (inputs.upstream.length > 0) {
    lines.push(
      'forward-zone:',
      '  name: "."',
      ...inputs.upstream.map((u) => `  forward-addr: ${u.host.split('%')[0]}@${u.port}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `name. static` becomes `"name." static`. */
function quoteZone(zone: string): string {
  const [name = '', type = ''] = zone.split(' ');
  return `"${name}" ${type}`;
}

/**
 * Only the clients are answered; the rest is refused, loopback too (unbound allows it by default, and
 * on the host it is not a container). A netblock listed twice keeps its first entry, so a client
 * network equal to a refused one replaces it.
 */
function accessControl(clients: string[]): string[] {
  const refused = ['0.0.0.0/0', '::/0', '127.0.0.0/8', '::1/128'].filter((net) => !clients.includes(net));
  return [
    ...refused.map((net) => `  access-control: ${net} refuse`),
    ...clients.map((net) => `  access-control: ${net} allow`),
  ];
}

/** unbound counts a `tcp-connection-limit` netblock as one: each client address gets its own line. */
function perSourceTcp(clients: string[], limit: number): string[] {
  const addresses = clients.flatMap(hostAddresses);
  if (addresses.length > MAX_PER_SOURCE_LINES) return [];
  return addresses.map((address) => `  tcp-connection-limit: ${address}/32 ${limit}`);
}

/** Every address of an IPv4 CIDR; none for anything else. */
function hostAddresses(cidr: string): string[] {
  let block: Cidr;
  try {
    block = parseCidr(cidr);
  } catch {
    return [];
  }
  const size = 2 ** (32 - block.prefix);
  if (size > MAX_PER_SOURCE_LINES) return [];
  return Array.from({ length: size }, (_, n) => nthAddress(cidr, n));
}
