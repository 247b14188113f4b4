import { unixRequest } from '../../host/unix-request.js';
import { controlFailure, controlRequest } from './control.js';

/** Sends one control command and resolves with unbound's answer; rejects if unbound reports an error. */
export async function controlCommand(
  socketPath: string,
  command: string,
  lines?: readonly string[],
): Promise<string> {
  const answer = await unixRequest(socketPath, controlRequest(command, lines), false);
  // unbound always answers something: nothing at all means it went away mid-command.
  if (answer === '') {
    throw Object.assign(new Error(`unbound: ${command}: no answer`), { code: 'ECONNRESET' });
  }
  const failure = controlFailure(answer);
  if (failure !== undefined) throw new Error(`unbound: ${command}: ${failure}`);
  return answer;
}
