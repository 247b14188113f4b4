import { connect } from 'node:net';
import { controlFailure, controlRequest } from './control.js';

/** Sends one control command and resolves with unbound's answer; rejects if unbound reports an error. */
export function controlCommand(
  socketPath: string,
  command: string,
  lines?: readonly string[],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      // unbound always answers something: nothing at all means it went away mid-command.
      if (answer === '') {
        reject(Object.assign(new Error(`unbound: ${command}: no answer`), { code: 'ECONNRESET' }));
        return;
      }
      const failure = controlFailure(answer);
      if (failure === undefined) resolve(answer);
      else reject(new Error(`unbound: ${command}: ${failure}`));
    });
    socket.write(controlRequest(command, lines));
  });
}
