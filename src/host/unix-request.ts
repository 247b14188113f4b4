// One request over a unix socket to a daemon's control interface (HAProxy's runtime API, unbound's
// control socket), answered by everything the daemon writes until it closes the connection.
import { connect } from 'node:net';

/** `halfClose`: end our side once the request is written (HAProxy); unbound reads on and answers first. */
export function unixRequest(socketPath: string, request: string, halfClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(answer));
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}
