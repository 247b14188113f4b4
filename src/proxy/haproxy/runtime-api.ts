import { unixRequest } from '../../host/unix-request.js';

/** HAProxy's answers that mean a command did nothing; the API itself always answers, even on failure. */
// Case-sensitive and at a line's start: data such as `show info`'s `PoolFailed: 0` must not match.
const FAILURE =
  /^(Unknown command|Can't|No such|Unable|Require|unknown|entry not found|Error|.*\bfailed[.!:])/m;

/** Sends one command over HAProxy's stats socket and resolves with its answer; rejects if it failed. */
export async function runtimeCommand(socketPath: string, command: string): Promise<string> {
  const answer = await unixRequest(socketPath, `${command}\n`, true);
  if (FAILURE.test(answer)) throw new Error(`haproxy: ${firstLine(command)}: ${answer.trim()}`);
  return answer;
}

/** A command carrying a multi-line payload, as `set ssl cert` takes a PEM. */
export function withPayload(command: string, payload: string): string {
  return `${command} <<\n${payload.trim()}\n`;
}

function firstLine(command: string): string {
  return command.split('\n', 1)[0] ?? '';
}
