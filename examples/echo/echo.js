// A tiny echo app on $PORT over both UDP and TCP: every datagram or line comes back prefixed with the
// app's name. Listening on TCP too lets the platform's port health check see it.
import dgram from 'node:dgram';
import net from 'node:net';

const port = Number(process.env.PORT ?? 8080);
const name = JSON.parse(process.env.VCAP_APPLICATION ?? '{}').application_name ?? 'echo';

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, from) => udp.send(`${name}: ${msg}`, from.port, from.address));
udp.bind(port);

net
  .createServer((socket) => socket.on('data', (d) => socket.write(`${name}: ${d}`)))
  .listen(port, () => console.log(`${name} echoing on udp and tcp ${port}`));
