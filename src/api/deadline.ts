// A timer for a moment that may be weeks away: Node fires longer timeouts at once.
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/** Calls `fn` at `when` (ms since the epoch), at once when that has passed; returns a cancel. */
export function atTime(when: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const wait = when - Date.now();
    timer =
      wait > LONGEST_TIMEOUT_MS ? setTimeout(arm, LONGEST_TIMEOUT_MS) : setTimeout(fn, Math.max(0, wait));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
