// Garbage at the cell's DNS (unbound) over UDP and TCP: random bytes, valid queries cut short, and valid
// queries with bytes flipped. Nothing is expected back from garbage; what counts is that unbound neither
// dies nor stops answering, and that the zone it serves is still exactly the zone it was fed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { buildZone } from '../../../src/dns/zone.js';
import { frame } from '../../helpers/dns-framing.js';
import { prng } from '../../helpers/fuzz.js';
import { snapshot } from '../../unit/dns/fixtures.js';
import { startDns, type Started } from './unbound-harness.js';

/** Fixed unless DNS_FUZZ_SEED says otherwise, so a failure names the seed that reproduces it. */
const SEED = Number(process.env.DNS_FUZZ_SEED ?? 0x5eed);
const CASES = 3000;
const TCP_CONNECTIONS = 60;

const VALID = [
  dnsPacket.encode({
    id: 1,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'app-b.apps.internal', type: 'A' }],
  }),
  dnsPacket.encode({ id: 2, type: 'query', questions: [{ name: '0.app-b.apps.internal', type: 'AAAA' }] }),
  dnsPacket.encode({ id: 3, type: 'query', questions: [{ name: 'ghost.apps.internal', type: 'TXT' }] }),
];

const random = prng(SEED);
const int = (n: number) => Math.floor(random() * n);

/** One case: random bytes, a valid query cut short, or a valid query with a few bytes flipped. */
function garbage(): Buffer {
  const base = VALID[int(VALID.length)] ?? Buffer.alloc(0);
  switch (int(3)) {
    case 0:
      return Buffer.from(Array.from({ length: int(600) }, () => int(256)));
    case 1:
      return base.subarray(0, int(base.length));
    default: {
      const copy = Buffer.from(base);
      for (let i = 0; i < 1 + int(4); i++) copy[int(copy.length)] = int(256);
      return copy;
    }
  }
}

let server: Started;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  // No rate limit here: every case must reach unbound's parser, not the limiter.
  server = await startDns(
    { after: (fn) => void cleanups.push(fn) },
    {
      limits: {
        queriesPerSecond: 0,
        tcpConnections: 256,
        tcpConnectionsPerSource: 256,
        tcpIdleTimeoutMs: 2000,
      },
    },
  );
  await server.dns.setZone(buildZone(snapshot()));
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** One real question from another source address, answered within 2 s or not at all. */
async function ask(name: string): Promise<dnsPacket.Packet | null> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.2', resolve));
    const answer = new Promise<dnsPacket.Packet | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 2000);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(dnsPacket.decode(msg));
      });
    });
    socket.send(
      dnsPacket.encode({ id: 7, type: 'query', questions: [{ name, type: 'A' }] }),
      server.port,
      '127.0.0.1',
    );
    return await answer;
  } finally {
    socket.close();
  }
}

const addresses = (p: dnsPacket.Packet | null) =>
  (p?.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : [])).sort();

test(`${CASES} garbage datagrams leave unbound up and answering the zone it was fed (seed ${SEED})`, async () => {
  const before = await ask('app-b.apps.internal');
  const pid = server.dns.pid;
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  for (let i = 0; i < CASES; i++) {
    await new Promise<void>((resolve) => socket.send(garbage(), server.port, '127.0.0.1', () => resolve()));
  }
  socket.close();
  const answer = await ask('app-b.apps.internal');
  assert.deepEqual(addresses(answer), addresses(before));
  assert.deepEqual(addresses(answer), ['10.250.1.2', '10.250.1.3', '10.250.2.2']);
  assert.equal(server.dns.pid, pid, 'unbound was not restarted');
  assert.equal(server.dns.restarts, 0);
});

test(`garbage frames over ${TCP_CONNECTIONS} TCP connections leave unbound up and answering`, async () => {
  const pid = server.dns.pid;
  await Promise.all(
    Array.from({ length: TCP_CONNECTIONS }, async () => {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', resolve).once('error', () => resolve()));
      // A frame whose length lies, frames of garbage, then a hang-up: unbound must not wait on any of it.
      const payloads = Array.from({ length: 5 }, () => garbage());
      const bytes =
        random() < 0.3
          ? Buffer.concat([Buffer.from([0xff, 0xff]), payloads[0] ?? Buffer.alloc(0)])
          : Buffer.concat(payloads.map((p) => frame(p)));
      socket.end(bytes);
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 3000);
      });
    }),
  );
  assert.deepEqual(addresses(await ask('1.app-b.apps.internal')), ['10.250.1.3']);
  assert.equal(server.dns.pid, pid, 'unbound was not restarted');
});
