// IPv4 address and CIDR arithmetic for the overlay. Addresses are handled as unsigned 32-bit numbers.

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Strict dotted quad (no leading zeros, which some tools read as octal), so it is safe to paste into nft. */
export function parseIpv4(ip: string): number {
  const m = IPV4.exec(ip);
  const parts = m?.slice(1, 5) ?? [];
  if (!m || parts.some((p) => Number(p) > 255 || (p.length > 1 && p.startsWith('0')))) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function isIpv4(ip: string): boolean {
  try {
    parseIpv4(ip);
    return true;
  } catch {
    return false;
  }
}

function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `A.B.C.D/N`; refuses host bits so a typo like 10.1.2.3/16 is not silently widened. */
export function parseCidr(cidr: string): Cidr {
  const [ip, len, extra] = cidr.split('/');
  if (ip === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len)) {
    throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)}`);
  }
  const prefix = Number(len);
  if (prefix > 32) throw new Error(`not an IPv4 CIDR: ${JSON.stringify(cidr)} (prefix over 32)`);
  const addr = parseIpv4(ip);
  const base = (addr & mask(prefix)) >>> 0;
  if (base !== addr) {
    throw new Error(`${cidr} has host bits set; did you mean ${formatIpv4(base)}/${prefix}?`);
  }
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

function last(c: Cidr): number {
  return c.base + size(c) - 1;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const n = parseIpv4(ip);
  return n >= c.base && n <= last(c);
}

export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.base <= last(y) && y.base <= last(x);
}

/** Splits an overlay into equal cell subnets, in address order (a /16 gives 256 /24s). */
export function splitOverlay(overlay: string, subnetPrefix = 24): string[] {
  const o = parseCidr(overlay);
  if (subnetPrefix < o.prefix || subnetPrefix > 30) {
    throw new Error(`cannot split ${overlay} into /${subnetPrefix} subnets (need ${o.prefix}..30)`);
  }
  const step = 2 ** (32 - subnetPrefix);
  const count = 2 ** (subnetPrefix - o.prefix);
  return Array.from({ length: count }, (_, i) =>
    formatCidr({ base: o.base + i * step, prefix: subnetPrefix }),
  );
}

/** The n-th address of a CIDR, counting the network address as 0. */
export function nthAddress(cidr: string, n: number): string {
  const c = parseCidr(cidr);
  if (!Number.isInteger(n) || n < 0 || n >= size(c)) throw new Error(`${cidr} has no address number ${n}`);
  return formatIpv4(c.base + n);
}

/** A cell's gateway is the subnet's first host address. */
export function gatewayAddress(subnet: string): string {
  return nthAddress(subnet, 1);
}

// Container addresses of a subnet: all but the network address, the gateway and the broadcast address.
const FIRST_CONTAINER = 2;
const lastContainer = (c: Cidr) => size(c) - 2;

/** The lowest free container address. */
export function allocateIp(subnet: string, used: Set<string>): string {
  const c = parseCidr(subnet);
  for (let n = FIRST_CONTAINER; n <= lastContainer(c); n++) {
    const ip = formatIpv4(c.base + n);
    if (!used.has(ip)) return ip;
  }
  throw new Error(`subnet ${subnet} has no free address left`);
}

/** Whether `ip` is one of the subnet's container addresses, as allocateIp hands them out. */
export function isContainerAddress(subnet: string, ip: string): boolean {
  const c = parseCidr(subnet);
  const n = parseIpv4(ip) - c.base;
  return n >= FIRST_CONTAINER && n <= lastContainer(c);
}
