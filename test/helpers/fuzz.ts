// Seeded random JSON and mutations of valid bodies, so a failing fuzz run can be replayed exactly.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** mulberry32: small, fast and good enough to pick test inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzzer {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  private static readonly NUMBERS = [
    0,
    -1,
    1,
    80,
    8080,
    61443,
    65535,
    65536,
    2 ** 31,
    2 ** 53,
    1e308,
    -1e308,
    0.5,
    -0,
  ];
  private static readonly PIECES = [
    '',
    'a',
    'tcp',
    'udp',
    'ICMP',
    '\u0000',
    '\ud800',
    '😀',
    '%',
    "'",
    '"',
    '\\',
    '../',
    ' ',
    'null',
    '$',
    '{',
    '-',
  ];

  string(): string {
    if (this.int(10) === 0) return 'x'.repeat(this.int(70_000));
    let s = '';
    for (let i = this.int(6); i >= 0; i--) s += this.pick(Fuzzer.PIECES);
    return s;
  }

  value(depth = 0): Json {
    switch (this.int(depth > 2 ? 4 : 6)) {
      case 0:
        return null;
      case 1:
        return this.int(2) === 0;
      case 2:
        return this.int(2) === 0 ? this.pick(Fuzzer.NUMBERS) : this.int(200_000) - 100_000;
      case 3:
        return this.string();
      case 4:
        return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: this.int(4) }, () => [this.string(), this.value(depth + 1)]),
        );
    }
  }

  /** A copy of `body` with one to three random edits somewhere in its tree. */
  mutate(body: Json): Json {
    let out = structuredClone(body);
    for (let i = this.int(3); i >= 0; i--) out = this.edit(out, 0);
    return out;
  }

  private edit(node: Json, depth: number): Json {
    const descend = node !== null && typeof node === 'object' && this.int(4) !== 0 && depth < 6;
    if (descend && Array.isArray(node)) {
      if (node.length === 0 || this.int(5) === 0) return [...node, this.value()];
      const i = this.int(node.length);
      node[i] = this.edit(node[i] ?? null, depth + 1);
      return node;
    }
    if (descend && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (keys.length === 0) return { [this.string()]: this.value() };
      const key = this.pick(keys);
      const action = this.int(6);
      if (action === 0) delete node[key];
      else if (action === 1) node[this.string()] = this.value();
      else node[key] = this.edit(node[key] ?? null, depth + 1);
      return node;
    }
    return this.value();
  }

  /** Text-level damage: truncation, a stray character, or bytes that are not JSON at all. */
  garble(text: string): string {
    switch (this.int(4)) {
      case 0:
        return text.slice(0, this.int(text.length));
      case 1: {
        const at = this.int(text.length + 1);
        return `${text.slice(0, at)}${this.pick(['{', '}', ',', '"', ':', '\u0000', '\\'])}${text.slice(at)}`;
      }
      case 2: {
        const at = this.int(text.length);
        return `${text.slice(0, at)}${text.slice(at + 1 + this.int(5))}`;
      }
      default:
        return Array.from({ length: this.int(64) }, () => String.fromCharCode(this.int(256))).join('');
    }
  }
}
