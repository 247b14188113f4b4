// Durations on the command line: a whole number and one unit, nothing else ("10s", "500ms", "5m", "1h").
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `text` in milliseconds; anything but digits followed by ms, s, m or h is refused with `flag` named. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text);
  const unit = UNITS[match?.[2] ?? ''];
  const amount = Number(match?.[1]);
  if (unit === undefined || !(amount > 0)) {
    throw new Error(`${flag} ${text}: expected a duration above 0 such as 500ms, 10s, 5m or 1h`);
  }
  return amount * unit;
}

/** The shortest text parseDuration reads back as `ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
