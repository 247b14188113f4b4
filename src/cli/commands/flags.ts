// Checks of flag values the CLI can make before asking the API, with errors that name the flag.
import type { Protocol } from '../../model/types.js';

export interface PortRange {
  start: number;
  end: number;
}

/** "8080" or "8080-8090", each port in 1..65535 and start <= end; the cf CLI's words first. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m?.[1]) {
    const cf =
      text.split('-').length > 2
        ? 'PORT syntax must match integer[-integer]'
        : 'PORT must be a positive integer';
    throw new Error(
      `Incorrect Usage: ${cf}; --port ${text}: expected a port like 8080 or a range like 8080-8090`,
    );
  }
  const start = checkPort(m[1], text);
  const end = m[2] === undefined ? start : checkPort(m[2], text);
  if (start > end)
    throw new Error(`--port ${text}: the start port ${start} is greater than the end port ${end}`);
  return { start, end };
}

function checkPort(digits: string, text: string): number {
  const port = Number(digits);
  if (port < 1 || port > 65535)
    throw new Error(`--port ${text}: ${digits} is not a port between 1 and 65535`);
  return port;
}

export function formatPortRange(range: PortRange): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

export function parseProtocol(text: string): Protocol {
  const lower = text.toLowerCase();
  if (lower === 'tcp' || lower === 'udp') return lower;
  throw new Error(
    `Incorrect Usage: PROTOCOL must be "tcp" or "udp"; --protocol ${text}: the protocol must be tcp or udp`,
  );
}

const MEGABYTES_PER_UNIT: Record<string, number> = { M: 1, MB: 1, G: 1024, GB: 1024 };

/** Cloud Foundry's memory sizes: "256M", "512MB", "1G", "2GB", in megabytes. */
export function parseMemory(text: string): number {
  const m = /^(\d+)\s*([A-Za-z]+)$/.exec(text.trim());
  const perUnit = m?.[2] !== undefined ? MEGABYTES_PER_UNIT[m[2].toUpperCase()] : undefined;
  if (!m?.[1] || perUnit === undefined) {
    throw new Error(`memory ${text}: expected a size with a unit, such as 256M, 512MB or 1G`);
  }
  const mb = Number(m[1]) * perUnit;
  if (mb < 1) throw new Error(`memory ${text}: must be more than zero`);
  return mb;
}

export function formatMemory(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024}G` : `${mb}M`;
}

const BYTES_PER_UNIT: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1024,
  KB: 1024,
  M: 1024 * 1024,
  MB: 1024 * 1024,
  G: 1024 * 1024 * 1024,
  GB: 1024 * 1024 * 1024,
};

/** A size in bytes: "512", "64K", "1M". */
export function parseBytes(flag: string, text: string): number {
  const m = /^(\d+)\s*([A-Za-z]*)$/.exec(text.trim());
  const perUnit = m?.[2] !== undefined ? BYTES_PER_UNIT[m[2].toUpperCase()] : undefined;
  if (!m?.[1] || perUnit === undefined) {
    throw new Error(`${flag} ${text}: expected a size such as 512, 64K or 1M`);
  }
  return Number(m[1]) * perUnit;
}

export function formatBytes(bytes: number): string {
  if (bytes > 0 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}M`;
  if (bytes > 0 && bytes % 1024 === 0) return `${bytes / 1024}K`;
  return String(bytes);
}

/** A size for people to read: 512B, 12.3K, 4.0M. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}K`;
  return `${(bytes / (1024 * 1024)).toFixed(1)}M`;
}

/** A whole number of things, zero included. */
export function parseCount(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new Error(`${flag} ${text}: expected a whole number such as 0 or 100`);
  return Number(text);
}

export function parseInstances(text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new Error(`instances ${text}: expected a whole number such as 1 or 3`);
  return Number(text);
}

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "12h", "30d" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([mhd])$/.exec(text);
  const amount = Number(match?.[1]);
  const unit = DURATION_UNITS[match?.[2] ?? ''];
  if (unit === undefined || amount < 1) {
    throw new Error(`${text}: expected a duration such as 90m, 12h or 30d`);
  }
  return amount * unit;
}
