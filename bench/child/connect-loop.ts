// Runs inside a container's namespace: opens `count` TCP connections one after another and reports the
// connect latency (SYN sent → handshake done) of each, in microseconds. Connections end with a reset so
// thousands of them leave no TIME_WAIT behind.
import { connect } from 'node:net';

const [host = '', portText = '', countText = '', warmupText = '100'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const warmup = Number(warmupText);

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port });
    socket.once('connect', () => {
      const micros = Number(process.hrtime.bigint() - started) / 1000;
      socket.resetAndDestroy();
      resolve(micros);
    });
    socket.once('error', reject);
    socket.setTimeout(2000, () => socket.destroy(new Error('connect timed out')));
  });
}

const latencies: number[] = [];
for (let i = 0; i < warmup + count; i++) {
  const micros = await once();
  if (i >= warmup) latencies.push(micros);
}
process.stdout.write(JSON.stringify(latencies) + '\n');
