import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { FrameReader, frame } from '../../helpers/dns-framing.js';

/**
 * A stand-in for the host's resolver on 127.0.0.1: answers `NAME` with the address `answers` maps it to,
 * NXDOMAIN for other names, and stays silent for names in `silent`.
 */
export class FakeUpstream {
  readonly queries: string[] = [];
  private readonly udp = dgram.createSocket('udp4');
  private readonly tcp = net.createServer((socket) => this.onTcp(socket));
  private readonly connections = new Set<net.Socket>();

  constructor(
    private readonly answers: Record<string, string>,
    private readonly silent: ReadonlySet<string> = new Set(),
  ) {
    this.udp.on('message', (message, from) => {
      const response = this.respond(message);
      if (response !== undefined) this.udp.send(response, from.port, from.address);
    });
  }

  get port(): number {
    return this.udp.address().port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.udp.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => this.tcp.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private onTcp(socket: net.Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        const response = this.respond(message);
        if (response !== undefined) socket.write(frame(response));
      }
    });
  }

  private respond(message: Buffer): Buffer | undefined {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (question === undefined) return undefined;
    const name = question.name.toLowerCase();
    this.queries.push(name);
    if (this.silent.has(name)) return undefined;
    const address = this.answers[name];
    return dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (address === undefined ? 3 : 0),
      questions: [question],
      answers: address === undefined ? [] : [{ name: question.name, type: 'A', ttl: 60, data: address }],
    });
  }
}
