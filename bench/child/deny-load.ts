// Runs inside a container's namespace: tries a port no policy allows, one attempt after another (each
// given up after a few milliseconds), until stopped, so the kernel's deny path and the flow log work
// while another process measures.
import { connect } from 'node:net';

const [host = '', portText = ''] = process.argv.slice(2);
const port = Number(portText);
const GIVE_UP_MS = 5;

function attempt(): void {
  const socket = connect({ host, port });
  const next = () => {
    socket.destroy();
    setImmediate(attempt);
  };
  socket.setTimeout(GIVE_UP_MS, next);
  socket.once('error', next);
  socket.once('connect', next);
}

attempt();
process.once('SIGTERM', () => process.exit(0));
