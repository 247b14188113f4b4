// The floor of any UDP DNS server written on Node: one dgram socket that answers each query with the answer
// it encoded for the first one (the benchmark asks one name), its id patched in. Prints `ready PORT`.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

// Replies go to literal addresses: no resolver lookup (weft's server skips it the same way).
const socket = dgram.createSocket({
  type: 'udp4',
  lookup: (address, _options, done) => done(null, address, 4),
});
let answer: Buffer | null = null;
socket.on('message', (query, from) => {
  if (answer === null) {
    const decoded = dnsPacket.decode(query);
    answer = dnsPacket.encode({
      type: 'response',
      id: 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED,
      questions: decoded.questions,
      answers: [{ type: 'A', name: decoded.questions?.[0]?.name ?? '', ttl: 0, data: '10.79.0.3' }],
    });
  }
  const reply = Buffer.from(answer);
  reply.writeUInt16BE(query.readUInt16BE(0), 0);
  socket.send(reply, from.port, from.address);
});
socket.bind(0, '127.0.0.1', () => process.stdout.write(`ready ${socket.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
