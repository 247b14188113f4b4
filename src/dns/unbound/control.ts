// unbound's remote control over its unix socket, spoken directly (as unbound-control speaks it, without
// TLS: control-use-cert no): `UBCT1 COMMAND\n`, for the batch commands the input lines and an end-of-
// transmission line `\x04\n`; unbound answers and closes the connection.

const VERSION_PREFIX = 'UBCT1 ';
const END_OF_INPUT = '\x04\n';

/** Commands that read input lines until the end-of-transmission line. */
export type BatchCommand = 'local_zones' | 'local_zones_remove' | 'local_datas' | 'local_datas_remove';

/** The bytes of one request. Lines must not contain a newline (zone-lines.ts makes sure they do not). */
export function controlRequest(command: string, lines?: readonly string[]): string {
  const head = `${VERSION_PREFIX}${command}\n`;
  if (lines === undefined) return head;
  return `${head}${lines.map((line) => `${line}\n`).join('')}${END_OF_INPUT}`;
}

/** unbound reports a failure as a line starting `error`, for a batch one per rejected input line. */
export function controlFailure(answer: string): string | undefined {
  const failed = answer.split('\n').filter((line) => line.startsWith('error'));
  return failed.length > 0 ? failed.join('; ') : undefined;
}
