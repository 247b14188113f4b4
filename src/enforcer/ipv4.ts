// IPv4 text ↔ number, strict enough that a validated address is safe to paste into an nft script.

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | null {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return null;
  let value = 0;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export interface Cidr {
  network: number;
  prefix: number;
}

/** Parses `a.b.c.d/n`; null when malformed or when host bits are set (nft refuses those). */
export function parseCidr(text: string): Cidr | null {
  const [addr, len, ...rest] = text.split('/');
  if (addr === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) return null;
  const network = parseIpv4(addr);
  const prefix = Number(len);
  if (network === null || prefix > 32) return null;
  if (network % 2 ** (32 - prefix) !== 0) return null;
  return { network, prefix };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  const size = 2 ** (32 - cidr.prefix);
  return ip >= cidr.network && ip < cidr.network + size;
}
