// A UDP DNS load client with a fixed number of queries in flight; per-query latency in microseconds.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export async function dnsLatencies(
  port: number,
  name: string,
  inFlight: number,
  total: number,
): Promise<number[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const query = dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
  });
  const sentAt = new Map<number, bigint>();
  const latencies: number[] = [];
  let sent = 0;
  let nextId = 1;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`DNS load: ${total - latencies.length} of ${total} queries unanswered after 60 s`));
    }, 60_000);
    const send = (): void => {
      const id = nextId;
      nextId = (nextId % 65535) + 1;
      const packet = Buffer.from(query);
      packet.writeUInt16BE(id, 0);
      sentAt.set(id, process.hrtime.bigint());
      sent++;
      socket.send(packet, port, '127.0.0.1');
    };
    socket.on('message', (msg) => {
      const started = sentAt.get(msg.readUInt16BE(0));
      if (started === undefined) return;
      sentAt.delete(msg.readUInt16BE(0));
      latencies.push(Number(process.hrtime.bigint() - started) / 1000);
      if (latencies.length === total) {
        clearTimeout(timer);
        socket.close();
        resolve(latencies);
      } else if (sent < total) send();
    });
    for (let i = 0; i < Math.min(inFlight, total); i++) send();
  });
}
